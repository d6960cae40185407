import type { Queryable, Row } from '../db/database.js';
import { functionCaller } from '../db/function-call.js';
import { fail } from '../errors.js';
import {
  type ListQuery,
  listArguments,
  type Position,
  type TaskListArguments,
} from './list-query.js';
import { type Advance, advanceFor, isOccurrencePast } from './recurrence.js';
import { reminderFromStored, type StoredReminder, storedReminder } from './reminders.js';
import {
  type Priority,
  priorities,
  type RecurrenceMode,
  type Task,
  type TaskCounts,
  type TaskFields,
  type TaskMove,
  type TaskPlacement,
  type TaskStatus,
} from './task.js';

// Every statement is scoped by the caller's user id, and each call is one prepared round trip
// to a function of migrations/0004_task_functions.up.sql (the list: 0005) that also sets
// app.user_id for RLS.

/** A tasks row as the driver returns it. */
export interface TaskRow extends Row {
  id: number;
  user_id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  completed: boolean;
  completed_at: Date | null;
  priority: number;
  tags: string[];
  due_date: Date | null;
  list_id: string;
  parent_id: string | null;
  position: string;
  subtasks_total: number;
  subtasks_completed: number;
  created_by: string | null;
  assignee_id: string | null;
  recurrence: string | null;
  /** Stored only when not the default (fixed); absent values are NULL, see toTask. */
  recurrence_mode: 'from_completion' | null;
  recurrence_anchor: Date | null;
  recurrence_zone: string | null;
  occurrence: number | null;
  reminders: StoredReminder[] | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A completed occurrence of a recurring task. */
export interface Completion {
  id: number;
  dueDate: Date;
  completedAt: Date;
}

export interface Idempotency {
  key: string;
  /** Hash of the request; the same key with another fingerprint is refused. */
  fingerprint: string;
}

export interface TaskPage {
  tasks: Task[];
  /** Where the next page starts; absent on the last page. */
  next?: Position;
}

export interface TaskRepositoryOptions {
  /** Tasks one user may store (MAX_TASKS_PER_USER); unset: no cap (tests, the CLI). */
  maxTasksPerUser?: number;
}

export class TaskRepository {
  private readonly call;

  constructor(
    db: Queryable,
    private readonly options: TaskRepositoryOptions = {},
  ) {
    this.call = functionCaller<TaskFunctions>(db);
  }

  /** A new task in the given list or parent (by default the Inbox), after its last sibling. */
  async create(
    userId: string,
    fields: TaskFields,
    idempotency?: Idempotency,
    placement: TaskPlacement = {},
  ): Promise<Task> {
    const rows = await this.call('task_create', [
      userId,
      fields.title,
      fields.description,
      fields.status,
      priorities.indexOf(fields.priority),
      fields.tags,
      fields.dueDate,
      idempotency?.key ?? null,
      idempotency?.fingerprint ?? null,
      this.options.maxTasksPerUser ?? null,
      placement.listId ?? null,
      placement.parentId ?? null,
      fields.assigneeId,
      fields.recurrence,
      fields.recurrenceMode,
      JSON.stringify(fields.reminders.map(storedReminder)),
    ]);
    return toTask(rows[0]!);
  }

  async get(userId: string, id: number): Promise<Task | undefined> {
    const rows = await this.call('task_get', [userId, id]);
    return rows[0] && toTask(rows[0]);
  }

  async list(userId: string, query: ListQuery): Promise<TaskPage> {
    const rows = await this.call('task_list', listArguments(userId, query));
    const tasks = rows.slice(0, query.limit).map(toTask);
    if (rows.length <= query.limit) return { tasks };
    const last = tasks.at(-1)!;
    return { tasks, next: { value: sortValue(last, query.sort), id: last.id } };
  }

  /**
   * Changes the given fields, and moves the task to the end of its new siblings when the
   * placement names another list or parent; undefined when the user has no such task. No
   * change is no write: the task as it is, as long as it is at the expected version.
   */
  async update(
    userId: string,
    id: number,
    changes: Partial<TaskFields>,
    expectedVersion?: number,
    placement: TaskPlacement = {},
  ): Promise<Task | undefined> {
    if ([...Object.values(changes), ...Object.values(placement)].every((v) => v === undefined)) {
      const task = await this.get(userId, id);
      if (task && expectedVersion !== undefined && task.version !== expectedVersion) {
        throw fail.versionMismatch();
      }
      return task;
    }
    const set = (key: keyof TaskFields) => changes[key] !== undefined;
    const rows = await this.advancing(userId, id, 'task_update', (advance) => [
      userId,
      id,
      expectedVersion ?? null,
      set('title'),
      changes.title ?? null,
      set('description'),
      changes.description ?? null,
      set('status'),
      changes.status ?? null,
      set('priority'),
      changes.priority === undefined ? null : priorities.indexOf(changes.priority),
      set('tags'),
      changes.tags ?? null,
      set('dueDate'),
      changes.dueDate ?? null,
      placement.listId !== undefined,
      placement.listId ?? null,
      placement.parentId !== undefined,
      placement.parentId ?? null,
      set('assigneeId'),
      changes.assigneeId ?? null,
      set('recurrence'),
      changes.recurrence ?? null,
      set('recurrenceMode'),
      changes.recurrenceMode ?? null,
      set('reminders'),
      changes.reminders === undefined
        ? null
        : JSON.stringify(changes.reminders.map(storedReminder)),
      advance?.occurrence ?? null,
      advance?.next ?? null,
    ]);
    return rows[0] && toTask(rows[0]);
  }

  /**
   * Runs a write that may complete (or skip) an occurrence of a recurring task: first
   * without an answer; when the database asks where the task goes next (TDRC1), once more
   * with it. When someone else completed that occurrence in between (TDRC2), the task as it
   * now is: the occurrence is done, and it is not done twice.
   */
  private async advancing<F extends 'task_update' | 'task_toggle' | 'task_skip'>(
    userId: string,
    id: number,
    fn: F,
    argsWith: (advance?: Advance) => TaskFunctions[F]['args'],
  ): Promise<TaskRow[]> {
    try {
      return await this.call(fn, argsWith());
    } catch (error) {
      const advance = advanceFor(error);
      if (advance === undefined) throw error;
      try {
        return await this.call(fn, argsWith(advance));
      } catch (again) {
        if (!isOccurrencePast(again)) throw again;
        return await this.call('task_get', [userId, id]);
      }
    }
  }

  /** Moves a task and its subtree; undefined when the user has no such task. */
  async move(
    userId: string,
    id: number,
    move: TaskMove,
    expectedVersion?: number,
  ): Promise<Task | undefined> {
    const rows = await this.call('task_move', [
      userId,
      id,
      expectedVersion ?? null,
      move.listId ?? null,
      move.parentId !== undefined,
      move.parentId ?? null,
      move.beforeId ?? null,
      move.afterId ?? null,
    ]);
    return rows[0] && toTask(rows[0]);
  }

  /**
   * completed -> pending, anything else -> completed; a recurring task completes its
   * occurrence and moves on to the next one.
   */
  toggle(userId: string, id: number, expectedVersion?: number): Promise<Task | undefined> {
    return this.step('task_toggle', userId, id, expectedVersion);
  }

  /** Moves a recurring task to its next occurrence without completing this one. */
  skip(userId: string, id: number, expectedVersion?: number): Promise<Task | undefined> {
    return this.step('task_skip', userId, id, expectedVersion);
  }

  private async step(
    fn: 'task_toggle' | 'task_skip',
    userId: string,
    id: number,
    expectedVersion?: number,
  ): Promise<Task | undefined> {
    const rows = await this.advancing(userId, id, fn, (advance) => [
      userId,
      id,
      expectedVersion ?? null,
      advance?.occurrence ?? null,
      advance?.next ?? null,
    ]);
    return rows[0] && toTask(rows[0]);
  }

  /** A page of a task's completions, newest first (after the completion `afterId`). */
  async completions(
    userId: string,
    taskId: number,
    limit: number,
    afterId?: number,
  ): Promise<Completion[]> {
    const rows = await this.call('task_completion_list', [userId, taskId, afterId ?? null, limit]);
    return rows.map((row) => ({
      id: Number(row.id),
      dueDate: row.due_date,
      completedAt: row.completed_at,
    }));
  }

  /** True when a task was deleted. */
  async delete(userId: string, id: number, expectedVersion?: number): Promise<boolean> {
    const rows = await this.call('task_delete', [userId, id, expectedVersion ?? null]);
    return rows.length > 0;
  }

  async counts(userId: string): Promise<TaskCounts> {
    const row = (await this.call('task_counts', [userId]))[0]!;
    return {
      total: Number(row.total),
      pending: Number(row.pending),
      inProgress: Number(row.in_progress),
      completed: Number(row.completed),
      overdue: Number(row.overdue),
    };
  }

  /** Every task of the user, oldest first. */
  async all(userId: string): Promise<Task[]> {
    const tasks: Task[] = [];
    for await (const batch of this.batches(userId, 1000)) tasks.push(...batch);
    return tasks;
  }

  /**
   * Every task the user owns (or, with `listId`, every task of that list, which the user can
   * read), oldest first, in batches of at most `size`: each batch is one keyset query after
   * the last row of the one before, so memory stays bounded however many tasks there are
   * (the account export). Times are stored to the millisecond, so a row's JavaScript time
   * names its position exactly.
   */
  async *batches(userId: string, size: number, listId?: number): AsyncGenerator<Task[]> {
    let after: Task | undefined;
    for (;;) {
      const rows = await this.call('task_export_batch', [
        userId,
        listId ?? null,
        after?.createdAt ?? null,
        after ? String(after.id) : null,
        size,
      ]);
      if (rows.length === 0) return;
      const batch = rows.map(toTask);
      yield batch;
      if (rows.length < size) return;
      after = batch.at(-1);
    }
  }
}

/** A write that may move a recurring task on, with the server's answer once it is asked. */
type AdvanceArguments = [
  userId: string,
  id: number,
  expectedVersion: number | null,
  occurrence: Date | null,
  nextDue: Date | null,
];

/** The database functions behind the repository: their arguments in order, and their rows. */
interface TaskFunctions {
  task_create: {
    args: [
      userId: string,
      title: string,
      description: string | null,
      status: TaskStatus,
      priority: number,
      tags: string[],
      dueDate: Date | null,
      idempotencyKey: string | null,
      fingerprint: string | null,
      maxTasks: number | null,
      listId: number | null,
      parentId: number | null,
      assigneeId: string | null,
      recurrence: string | null,
      recurrenceMode: RecurrenceMode,
      reminders: string,
    ];
    row: TaskRow;
  };
  task_get: { args: [userId: string, id: number]; row: TaskRow };
  task_list: { args: TaskListArguments; row: TaskRow };
  task_update: {
    args: [
      userId: string,
      id: number,
      expectedVersion: number | null,
      setTitle: boolean,
      title: string | null,
      setDescription: boolean,
      description: string | null,
      setStatus: boolean,
      status: TaskStatus | null,
      setPriority: boolean,
      priority: number | null,
      setTags: boolean,
      tags: string[] | null,
      setDueDate: boolean,
      dueDate: Date | null,
      setList: boolean,
      listId: number | null,
      setParent: boolean,
      parentId: number | null,
      setAssignee: boolean,
      assigneeId: string | null,
      setRecurrence: boolean,
      recurrence: string | null,
      setRecurrenceMode: boolean,
      recurrenceMode: RecurrenceMode | null,
      setReminders: boolean,
      reminders: string | null,
      occurrence: Date | null,
      nextDue: Date | null,
    ];
    row: TaskRow;
  };
  task_move: {
    args: [
      userId: string,
      id: number,
      expectedVersion: number | null,
      listId: number | null,
      parentGiven: boolean,
      parentId: number | null,
      beforeId: number | null,
      afterId: number | null,
    ];
    row: TaskRow;
  };
  task_toggle: { args: AdvanceArguments; row: TaskRow };
  task_skip: { args: AdvanceArguments; row: TaskRow };
  task_completion_list: {
    args: [userId: string, taskId: number, afterId: number | null, limit: number];
    row: { id: string; due_date: Date; completed_at: Date };
  };
  task_delete: {
    args: [userId: string, id: number, expectedVersion: number | null];
    row: { task_delete: string };
  };
  task_counts: {
    args: [userId: string];
    row: {
      total: string;
      pending: string;
      in_progress: string;
      completed: string;
      overdue: string;
    };
  };
  task_export_batch: {
    args: [
      userId: string,
      listId: number | null,
      afterCreatedAt: Date | null,
      afterId: string | null,
      size: number,
    ];
    row: TaskRow;
  };
}

export function toTask(row: TaskRow): Task {
  return {
    id: Number(row.id),
    userId: row.user_id,
    title: row.title,
    description: row.description,
    status: row.status,
    completed: row.completed,
    completedAt: row.completed_at,
    priority: priorities[row.priority] as Priority,
    tags: row.tags,
    dueDate: row.due_date,
    listId: Number(row.list_id),
    parentId: row.parent_id === null ? null : Number(row.parent_id),
    position: row.position,
    subtasks: { total: row.subtasks_total, completed: row.subtasks_completed },
    createdBy: row.created_by,
    assigneeId: row.assignee_id,
    recurrence: row.recurrence,
    recurrenceMode: row.recurrence_mode ?? 'fixed',
    recurrenceAnchor: row.recurrence_anchor,
    recurrenceZone: row.recurrence_zone,
    occurrence: row.occurrence ?? 1,
    reminders: row.reminders === null ? [] : row.reminders.map(reminderFromStored),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function sortValue(task: Task, sort: ListQuery['sort']): Position['value'] {
  switch (sort) {
    case 'created_at':
      return task.createdAt.toISOString();
    case 'updated_at':
      return task.updatedAt.toISOString();
    case 'due_date':
      return task.dueDate?.toISOString() ?? null;
    case 'priority':
      return priorities.indexOf(task.priority);
    case 'title':
      return task.title;
    case 'position':
      return task.position;
  }
}
