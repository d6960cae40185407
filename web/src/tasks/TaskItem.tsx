import { type HTMLAttributes, type ReactNode, useEffect, useRef, useState } from 'react';
import type { ListJson, MemberJson, TaskJson } from '../api/types';
import { ReminderBadge } from '../notifications/ReminderBadge';
import { repeatBadges } from '../recurrence/RepeatBadges';
import { SkipButton } from '../recurrence/SkipButton';
import { useMembers } from '../sharing/hooks';
import { canEditTasks } from '../sharing/roles';
import { useDeleteTask, useProfile, useToggleTask, useUpdateTask } from './hooks';
import { TaskForm } from './TaskForm';
import { formatDue, isOverdue, patchInput, valuesFromTask } from './task-values';
import { priorityLabels } from './view-filters';

type Mode = 'view' | 'edit' | 'confirm-delete';

interface Props {
  task: TaskJson;
  onDeleted: () => void;
  /** The task's list: the caller's role in it, and whether it is shared (who to assign). */
  list?: ListJson;
  /** The task's list's name, where tasks of several lists are shown together. */
  listName?: string;
  /** div when the item is one row of a tree node, whose li holds the subtasks too. */
  as?: 'li' | 'div';
  /** Before the checkbox: a tree's drag handle and expand button. */
  leading?: ReactNode;
  /** After Edit and Delete: a menu button. Without one, Skip (of a recurring task) is here. */
  actions?: ReactNode;
  /** Below the row, across it. */
  footer?: ReactNode;
  /** The row's extra classes and drag-and-drop handlers. */
  rowProps?: HTMLAttributes<HTMLElement>;
}

/** One task: tick it off, edit it in place, or delete it (after a confirmation). */
export function TaskItem({
  task,
  onDeleted,
  list,
  listName,
  as: Row = 'li',
  leading,
  actions,
  footer,
  rowProps,
}: Props) {
  const [mode, setMode] = useState<Mode>('view');
  const toggle = useToggleTask(task);
  const update = useUpdateTask(task);
  const remove = useDeleteTask(task);
  const editButton = useRef<HTMLButtonElement>(null);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  const focusAfter = useRef<'edit' | null>(null);
  // A viewer sees the task as it is: no checkbox to tick, nothing to edit or delete.
  const readOnly = list !== undefined && !canEditTasks(list.role);
  const shared = list !== undefined && list.member_count > 1;
  // Members of the task's list: the assignee's name, and who else it can be assigned to.
  const members = useMembers(
    task.list_id,
    task.assignee_id !== null || (mode === 'edit' && shared),
  );
  const profile = useProfile();

  // Focus follows the user: into the confirmation, and back to Edit when a form closes.
  useEffect(() => {
    if (mode === 'confirm-delete') cancelDelete.current?.focus();
    if (mode === 'view' && focusAfter.current === 'edit') editButton.current?.focus();
    focusAfter.current = null;
  }, [mode]);

  const close = () => {
    focusAfter.current = 'edit';
    setMode('view');
  };

  const overdue = isOverdue(task);

  if (mode === 'edit') {
    return (
      <Row className="task editing">
        <TaskForm
          mode="edit"
          label={`Edit “${task.title}”`}
          initial={valuesFromTask(task)}
          assignees={shared || task.assignee_id !== null ? members.data : undefined}
          onCancel={close}
          onSubmit={async (values) => {
            const changes = patchInput(task, values);
            if (Object.keys(changes).length > 0) update.mutate(changes);
            close();
            return undefined;
          }}
        />
      </Row>
    );
  }

  const withSubtasks = task.subtasks.total > 0;
  const classes = [
    'task',
    task.completed ? 'done' : '',
    overdue ? 'overdue' : '',
    rowProps?.className ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <Row {...rowProps} className={classes}>
      <div className="task-lead">
        {leading}
        <input
          type="checkbox"
          className="check"
          checked={task.completed}
          disabled={readOnly}
          title={readOnly ? 'You can view this list, but not change it' : undefined}
          onChange={() => toggle.mutate()}
          aria-label={`Completed: ${task.title}`}
        />
      </div>
      <div className="task-body">
        <p className="task-title">{task.title}</p>
        {task.description && <p className="task-description">{task.description}</p>}
        <TaskMeta
          task={task}
          overdue={overdue}
          listName={listName}
          assignee={assigneeName(task, members.data, profile.data?.id)}
        />
      </div>
      {readOnly ? null : mode === 'confirm-delete' ? (
        <fieldset
          className="task-actions confirm"
          onKeyDown={(event) => {
            if (event.key === 'Escape') close();
          }}
        >
          <legend className="visually-hidden">
            Delete “{task.title}”{withSubtasks && ' and its subtasks'}?
          </legend>
          <span aria-hidden="true">{withSubtasks ? 'Delete with its subtasks?' : 'Delete?'}</span>
          <button
            type="button"
            className="danger"
            onClick={() => {
              remove.mutate();
              onDeleted();
            }}
          >
            Yes, delete
          </button>
          <button type="button" ref={cancelDelete} onClick={close}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <div className="task-actions">
          <button
            type="button"
            ref={editButton}
            onClick={() => setMode('edit')}
            aria-label={`Edit “${task.title}”`}
          >
            Edit
          </button>
          <button
            type="button"
            className="quiet-danger"
            onClick={() => setMode('confirm-delete')}
            aria-label={`Delete “${task.title}”`}
          >
            Delete
          </button>
          {actions === undefined ? <SkipButton task={task} /> : actions}
        </div>
      )}
      {footer}
    </Row>
  );
}

/** Who the task is assigned to, once the list's members are known; "you" for the caller. */
function assigneeName(
  task: TaskJson,
  members: readonly MemberJson[] | undefined,
  me: string | undefined,
): string | null {
  if (task.assignee_id === null) return null;
  if (task.assignee_id === me) return 'you';
  return members?.find((member) => member.user_id === task.assignee_id)?.name ?? null;
}

interface MetaProps {
  task: TaskJson;
  overdue: boolean;
  listName: string | undefined;
  assignee: string | null;
}

function TaskMeta({ task, overdue, listName, assignee }: MetaProps) {
  const { subtasks } = task;
  const items = [
    assignee && (
      <span key="assignee" className="badge assignee">
        Assigned to {assignee}
      </span>
    ),
    listName && (
      <span key="list" className="badge list-badge">
        <span className="visually-hidden">In list </span>
        {listName}
      </span>
    ),
    subtasks.total > 0 && (
      <span key="progress" className="badge progress">
        <span aria-hidden="true">
          {subtasks.completed}/{subtasks.total}
        </span>
        <span className="visually-hidden">
          {subtasks.completed} of {subtasks.total} subtasks done
        </span>
      </span>
    ),
    task.status === 'in_progress' && (
      <span key="status" className="badge status">
        In progress
      </span>
    ),
    task.priority !== 'none' && (
      <span key="priority" className={`badge priority-${task.priority}`}>
        {priorityLabels[task.priority]} priority
      </span>
    ),
    task.due_date && (
      <span key="due" className={overdue ? 'badge due overdue' : 'badge due'}>
        {overdue ? 'Overdue · due ' : 'Due '}
        <time dateTime={task.due_date}>{formatDue(task.due_date)}</time>
      </span>
    ),
    ...repeatBadges(task),
    task.reminders.length > 0 && <ReminderBadge key="reminders" reminders={task.reminders} />,
    ...task.tags.map((tag) => (
      <span key={`tag-${tag}`} className="tag">
        #{tag}
      </span>
    )),
  ].filter(Boolean);
  return items.length > 0 ? <div className="task-meta">{items}</div> : null;
}
