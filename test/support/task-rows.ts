import type { Queryable } from '../../src/db/database.js';
import { statementOf } from '../../src/db/function-call.js';
import type { TaskRow } from '../../src/tasks/repository.js';
import type { TaskMove, TaskPlacement } from '../../src/tasks/task.js';
import { insertRow } from './rows.js';

// Tasks as rows, for tests of what the database itself enforces: written by plain SQL, or by
// the functions the API calls, whose refusals come back as the SQLSTATE the database raised.

/** A task inserted by plain SQL; a column left out takes what the database gives it. */
export function insertTaskRow(
  db: Queryable,
  userId: string,
  columns: Record<string, unknown> = {},
): Promise<TaskRow> {
  return insertRow<TaskRow>(db, 'tasks', { user_id: userId, title: 'A task', ...columns });
}

/** task_create as the API calls it: in a list, under a parent, or by default in the Inbox. */
export async function createTaskRow(
  db: Queryable,
  userId: string,
  title: string,
  placement: TaskPlacement = {},
): Promise<TaskRow> {
  const args = [
    userId,
    title,
    null,
    'pending',
    0,
    [],
    null,
    null,
    null,
    null,
    placement.listId ?? null,
    placement.parentId ?? null,
    null, // assignee
    null, // recurrence
    null, // recurrence mode
    null, // reminders
  ];
  const [row] = await db.query<TaskRow>(statementOf('task_create', args.length), args);
  return row!;
}

/** task_move as the API calls it; undefined when the user has no such task. */
export async function moveTaskRow(
  db: Queryable,
  userId: string,
  id: number,
  move: TaskMove,
): Promise<TaskRow | undefined> {
  const args = [
    userId,
    id,
    null,
    move.listId ?? null,
    move.parentId !== undefined,
    move.parentId ?? null,
    move.beforeId ?? null,
    move.afterId ?? null,
  ];
  const [row] = await db.query<TaskRow>(statementOf('task_move', args.length), args);
  return row;
}

/** The user's tasks by id, as the superuser sees them. */
export async function taskRowsById(db: Queryable, userId: string): Promise<Map<number, TaskRow>> {
  const rows = await db.query<TaskRow>('SELECT * FROM tasks WHERE user_id = $1', [userId]);
  return new Map(rows.map((row) => [Number(row.id), row]));
}
