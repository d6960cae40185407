import { type DragEvent, type ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { ListJson } from '../api/types';
import { canEditTasks } from '../sharing/roles';
import { TaskItem } from '../tasks/TaskItem';
import { draggedTask, endDrag, startDrag } from './drag-state';
import { SubtaskForm } from './SubtaskForm';
import { TaskMenu } from './TaskMenu';
import { buildTree, MAX_DEPTH, type Side, type TaskNode } from './task-tree';
import { type Move, moveBeside, useListTasks, useMoveTask } from './tree-hooks';

/** What every node of one tree shares. */
interface TreeTools {
  /** The list shown. */
  list: ListJson;
  /** A viewer's: no moving, no menu. */
  readOnly: boolean;
  /** Where its tasks can move to: the lists the caller may change. */
  lists: readonly ListJson[];
  move: (move: Move) => void;
  /** A task left the list (deleted, moved away): focus goes to the list's heading. */
  onGone: () => void;
}

/** A list's tasks in manual order, subtasks indented under their parents. */
export function TaskTree({ list, lists }: { list: ListJson; lists: readonly ListJson[] }) {
  const query = useListTasks(list.id);
  const move = useMoveTask();
  const heading = useRef<HTMLHeadingElement>(null);
  const roots = useMemo(() => buildTree(query.data ?? []), [query.data]);
  const readOnly = !canEditTasks(list.role);
  const tools: TreeTools = {
    list,
    readOnly,
    lists: lists.filter((l) => canEditTasks(l.role)),
    move: (m) => move.mutate(m),
    onGone: () => heading.current?.focus(),
  };

  let body: ReactNode;
  if (query.isPending) {
    body = (
      <p className="state" role="status">
        <span className="spinner" aria-hidden="true" /> Loading the tasks…
      </p>
    );
  } else if (query.isError) {
    body = (
      <div className="state error-state" role="alert">
        <p>
          Could not load this list’s tasks.{' '}
          {query.error instanceof ApiError ? query.error.userMessage : 'Something went wrong.'}
        </p>
        <button type="button" onClick={() => query.refetch()}>
          Try again
        </button>
      </div>
    );
  } else if (roots.length === 0) {
    body = (
      <div className="state">
        <p className="state-title">No tasks in {list.name} yet.</p>
        {!readOnly && <p>Add one above; subtasks go under a task from its “More” button.</p>}
      </div>
    );
  } else {
    body = (
      <ul className="task-list tree">
        {roots.map((node, index) => (
          <TreeNode key={node.task.id} node={node} siblings={roots} index={index} tools={tools} />
        ))}
      </ul>
    );
  }

  return (
    <section className="list-section" aria-labelledby="task-list-heading">
      <div className="list-heading">
        <h2 id="task-list-heading" ref={heading} tabIndex={-1}>
          Tasks
        </h2>
        {roots.length > 1 && !readOnly && (
          <p className="hint">Drag a task by its handle, or use “More” to move it.</p>
        )}
      </div>
      {body}
    </section>
  );
}

interface NodeProps {
  node: TaskNode;
  siblings: readonly TaskNode[];
  index: number;
  tools: TreeTools;
}

function TreeNode({ node, siblings, index, tools }: NodeProps) {
  const { task, depth, children } = node;
  const [expanded, setExpanded] = useState(true);
  const [menuOpen, setMenuOpen] = useState(false);
  const [addingSubtask, setAddingSubtask] = useState(false);
  const [dropSide, setDropSide] = useState<Side | null>(null);
  const [dragging, setDragging] = useState(false);
  const moreButton = useRef<HTMLButtonElement>(null);
  const id = useId();
  const childrenId = `${id}-subtasks`;
  const menuId = `${id}-menu`;

  // A closed menu or subtask form gives focus back to the "More" button that opened it.
  const focusMore = useRef(false);
  useEffect(() => {
    if (!focusMore.current) return;
    focusMore.current = false;
    moreButton.current?.focus();
  });
  const closeAndFocusMore = (close: () => void) => {
    focusMore.current = true;
    close();
  };

  // Only a sibling can be dropped on a row: the drag reorders, it does not re-parent.
  const droppable = () => {
    const dragged = draggedTask();
    return dragged && dragged.id !== task.id && dragged.parent_id === task.parent_id
      ? dragged
      : null;
  };
  const sideOf = (event: DragEvent<HTMLElement>): Side => {
    const box = event.currentTarget.getBoundingClientRect();
    return event.clientY < box.top + box.height / 2 ? 'before' : 'after';
  };

  const rowProps = {
    className: [dragging ? 'dragging' : '', dropSide ? `drop-${dropSide}` : '']
      .filter(Boolean)
      .join(' '),
    onDragOver: (event: DragEvent<HTMLElement>) => {
      if (!droppable()) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
      setDropSide(sideOf(event));
    },
    onDragLeave: (event: DragEvent<HTMLElement>) => {
      const into = event.relatedTarget;
      if (into instanceof Node && event.currentTarget.contains(into)) return;
      setDropSide(null);
    },
    onDrop: (event: DragEvent<HTMLElement>) => {
      setDropSide(null);
      const dragged = droppable();
      endDrag();
      if (!dragged) return;
      event.preventDefault();
      const side = sideOf(event);
      const from = siblings.findIndex((sibling) => sibling.task.id === dragged.id);
      // Dropped where it already is.
      if (from === index + (side === 'before' ? -1 : 1)) return;
      tools.move(
        moveBeside(dragged, task, side, `Moved “${dragged.title}” ${side} “${task.title}”.`),
      );
    },
  };

  const leading = (
    <>
      {!tools.readOnly && (
        <span
          className="drag-handle"
          draggable
          title="Drag to reorder, or onto a list"
          aria-hidden="true"
          onDragStart={(event) => {
            startDrag(task);
            event.dataTransfer.effectAllowed = 'move';
            event.dataTransfer.setData('application/x-task-id', String(task.id));
            const row = event.currentTarget.closest('.task');
            if (row) event.dataTransfer.setDragImage(row, 12, 12);
            setDragging(true);
          }}
          onDragEnd={() => {
            endDrag();
            setDragging(false);
          }}
        >
          <GripIcon />
        </span>
      )}
      {children.length > 0 ? (
        <button
          type="button"
          className="expander"
          aria-expanded={expanded}
          aria-controls={childrenId}
          aria-label={`Subtasks of “${task.title}”`}
          onClick={() => setExpanded((open) => !open)}
        >
          <ChevronIcon />
        </button>
      ) : (
        <span className="expander-space" aria-hidden="true" />
      )}
    </>
  );

  return (
    <li className="tree-node">
      <TaskItem
        as="div"
        task={task}
        list={tools.list}
        onDeleted={tools.onGone}
        leading={leading}
        rowProps={tools.readOnly ? undefined : rowProps}
        actions={
          !tools.readOnly && (
            <button
              type="button"
              ref={moreButton}
              aria-expanded={menuOpen}
              aria-controls={menuId}
              aria-label={`More actions for “${task.title}”`}
              onClick={() => setMenuOpen((open) => !open)}
            >
              More
            </button>
          )
        }
        footer={
          menuOpen &&
          !tools.readOnly && (
            <TaskMenu
              id={menuId}
              task={task}
              previous={siblings[index - 1]?.task}
              next={siblings[index + 1]?.task}
              index={index}
              count={siblings.length}
              lists={tools.lists}
              canNest={depth < MAX_DEPTH}
              onAddSubtask={() => {
                setMenuOpen(false);
                setExpanded(true);
                setAddingSubtask(true);
              }}
              onMove={(move) => {
                tools.move(move);
                if (move.input.list_id !== undefined) tools.onGone();
              }}
              onClose={() => closeAndFocusMore(() => setMenuOpen(false))}
            />
          )
        }
      />
      {addingSubtask && (
        <SubtaskForm
          parent={task}
          onClose={() => closeAndFocusMore(() => setAddingSubtask(false))}
        />
      )}
      {children.length > 0 && (
        <ul id={childrenId} className="task-list subtasks" hidden={!expanded}>
          {children.map((child, childIndex) => (
            <TreeNode
              key={child.task.id}
              node={child}
              siblings={children}
              index={childIndex}
              tools={tools}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

function GripIcon() {
  return (
    <svg viewBox="0 0 10 16" width="10" height="16" aria-hidden="true" focusable="false">
      {[3, 8, 13].flatMap((y) => [
        <circle key={`l${y}`} cx="2.5" cy={y} r="1.4" />,
        <circle key={`r${y}`} cx="7.5" cy={y} r="1.4" />,
      ])}
    </svg>
  );
}

function ChevronIcon() {
  return (
    <svg className="chevron" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path d="M6 3l5 5-5 5" fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}
