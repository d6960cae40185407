import { announce } from '../announcements';
import type { TaskJson } from '../api/types';
import { useSkipTask } from '../tasks/hooks';
import { formatNextDue } from './RepeatBadges';

/** Moves a recurring task to its next date without completing it; only while there is one. */
export function SkipButton({ task }: { task: TaskJson }) {
  const skip = useSkipTask(task);
  if (task.recurrence === null || task.next_due_date === null || task.completed) return null;
  const next = task.next_due_date;
  return (
    <button
      type="button"
      aria-label={`Skip “${task.title}” to ${formatNextDue(next)}`}
      title="Move it to its next date without completing it"
      onClick={() =>
        skip.mutate(undefined, {
          onSuccess: (saved) => {
            const due = saved?.due_date;
            announce(`Skipped “${task.title}”${due ? `: now due ${formatNextDue(due)}` : ''}.`);
          },
        })
      }
    >
      Skip
    </button>
  );
}
