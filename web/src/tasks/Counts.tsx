export interface TaskCounts {
  open: number;
  completed: number;
  overdue: number;
  total: number;
}

/** "3 open · 2 done · 1 overdue", for all tasks or for one list. */
export function Counts({ counts }: { counts: TaskCounts }) {
  return (
    <p className="counts">
      <span>
        <strong>{counts.open}</strong> open
      </span>
      <span>
        <strong>{counts.completed}</strong> done
      </span>
      {counts.overdue > 0 && (
        <span className="overdue-count">
          <strong>{counts.overdue}</strong> overdue
        </span>
      )}
      <span className="visually-hidden">, {counts.total} in all</span>
    </p>
  );
}
