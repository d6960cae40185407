import { useEffect, useId, useRef, useState } from 'react';
import type { ListJson, TaskJson } from '../api/types';
import { SkipButton } from '../recurrence/SkipButton';
import { type Move, moveBeside, moveToList } from './tree-hooks';

interface Props {
  id: string;
  task: TaskJson;
  /** The siblings just above and below, if any. */
  previous: TaskJson | undefined;
  next: TaskJson | undefined;
  /** 0-based place among its siblings, and how many there are. */
  index: number;
  count: number;
  lists: readonly ListJson[];
  /** False at the deepest level a task can have. */
  canNest: boolean;
  onAddSubtask: () => void;
  onMove: (move: Move) => void;
  /** Escape. */
  onClose: () => void;
}

/** What dragging does, by keyboard: up, down, to another list; and adding a subtask. */
export function TaskMenu(props: Props) {
  const { id, task, previous, next, index, count, lists, canNest, onMove, onClose } = props;
  const refocus = useRef<HTMLButtonElement | null>(null);

  // Moving re-orders the page's elements, which can take focus from the button pressed:
  // give it back once the task stands in its new place.
  const previousId = previous?.id;
  const nextId = next?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the neighbours change
  useEffect(() => {
    refocus.current?.focus();
    refocus.current = null;
  }, [previousId, nextId]);

  const label = `“${task.title}”`;
  return (
    <fieldset
      id={id}
      className="task-menu"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <legend className="visually-hidden">Actions for {label}</legend>
      {canNest && (
        <button type="button" onClick={props.onAddSubtask}>
          Add subtask
        </button>
      )}
      <button
        type="button"
        aria-disabled={!previous || undefined}
        onClick={(event) => {
          if (!previous) return;
          refocus.current = event.currentTarget;
          onMove(moveBeside(task, previous, 'before', `Moved ${label} up, ${index} of ${count}.`));
        }}
      >
        Move up
      </button>
      <button
        type="button"
        aria-disabled={!next || undefined}
        onClick={(event) => {
          if (!next) return;
          refocus.current = event.currentTarget;
          onMove(moveBeside(task, next, 'after', `Moved ${label} down, ${index + 2} of ${count}.`));
        }}
      >
        Move down
      </button>
      <SkipButton task={task} />
      <MoveToList task={task} lists={lists} onMove={onMove} />
    </fieldset>
  );
}

function MoveToList({
  task,
  lists,
  onMove,
}: {
  task: TaskJson;
  lists: readonly ListJson[];
  onMove: (move: Move) => void;
}) {
  const id = useId();
  const [chosen, setChosen] = useState('');
  const others = lists.filter((list) => list.id !== task.list_id);
  if (others.length === 0) return null;
  const target = others.find((list) => String(list.id) === chosen);
  return (
    <div className="move-to-list">
      <label htmlFor={id}>Move to list…</label>
      <select id={id} value={chosen} onChange={(event) => setChosen(event.target.value)}>
        <option value="">Choose a list</option>
        {others.map((list) => (
          <option key={list.id} value={list.id}>
            {list.name}
          </option>
        ))}
      </select>
      <button
        type="button"
        aria-disabled={!target || undefined}
        onClick={() => {
          if (target) onMove(moveToList(task, target));
        }}
      >
        Move
      </button>
    </div>
  );
}
