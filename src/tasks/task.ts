// A task as the rest of the code sees it, and the limits the database enforces as well
// (migrations/0002_tasks.up.sql); the schemas in schemas.ts are built from these constants.

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1000;
export const TAGS_MAX = 10;
export const TAG_MAX = 32;

export const taskStatuses = ['pending', 'in_progress', 'completed'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/** The API's names; the index is the stored smallint. */
export const priorities = ['none', 'low', 'medium', 'high'] as const;
export type Priority = (typeof priorities)[number];

export const recurrenceModes = ['fixed', 'from_completion'] as const;
export type RecurrenceMode = (typeof recurrenceModes)[number];

/** Reminders one task may have. */
export const REMINDERS_MAX = 5;

/**
 * A reminder: at a time, or an ISO 8601 duration before the due date (days on the owner's
 * calendar). Its id is derived from what it says, so sending the same reminder again is the
 * same reminder, and one that has fired does not fire again.
 */
export type Reminder = { id: string; at: Date } | { id: string; before: string };

export interface Task {
  id: number;
  userId: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  completed: boolean;
  completedAt: Date | null;
  priority: Priority;
  tags: string[];
  dueDate: Date | null;
  listId: number;
  /** The task this one is a subtask of; null at the top level of its list. */
  parentId: number | null;
  /** Manual order among siblings: compared as plain byte strings. */
  position: string;
  /** Direct subtasks. */
  subtasks: { total: number; completed: number };
  /** Who created it; null once that account is deleted. */
  createdBy: string | null;
  /** A member of its list (or its owner) the task is assigned to. */
  assigneeId: string | null;
  /** An RFC 5545 rule (without the RRULE: prefix) the due date repeats by, or null. */
  recurrence: string | null;
  recurrenceMode: RecurrenceMode;
  /** The series' first due date and the time zone it runs in (the owner's). */
  recurrenceAnchor: Date | null;
  recurrenceZone: string | null;
  /** Which occurrence of the series the task is at: 1 for the first. */
  occurrence: number;
  reminders: Reminder[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a task goes: a list, a parent (null: the top level), or unchanged when absent. */
export interface TaskPlacement {
  listId?: number;
  parentId?: number | null;
}

/** Where a move puts a task; before/after name a sibling to stand next to. */
export interface TaskMove extends TaskPlacement {
  beforeId?: number;
  afterId?: number;
}

/** A task and four levels of subtasks below it. */
export const NESTING_MAX = 5;

/** The writable fields, already validated and normalised (trimmed, tags lower-cased). */
export interface TaskFields {
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: Priority;
  tags: string[];
  dueDate: Date | null;
  assigneeId: string | null;
  recurrence: string | null;
  recurrenceMode: RecurrenceMode;
  reminders: Reminder[];
}

export const taskDefaults: Omit<TaskFields, 'title'> = {
  description: null,
  status: 'pending',
  priority: 'none',
  tags: [],
  dueDate: null,
  assigneeId: null,
  recurrence: null,
  recurrenceMode: 'fixed',
  reminders: [],
};

export interface TaskCounts {
  total: number;
  pending: number;
  inProgress: number;
  completed: number;
  overdue: number;
}
