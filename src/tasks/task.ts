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
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The writable fields, already validated and normalised (trimmed, tags lower-cased). */
export interface TaskFields {
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: Priority;
  tags: string[];
  dueDate: Date | null;
}

export const taskDefaults: Omit<TaskFields, 'title'> = {
  description: null,
  status: 'pending',
  priority: 'none',
  tags: [],
  dueDate: null,
};

export interface TaskCounts {
  total: number;
  pending: number;
  inProgress: number;
  completed: number;
  overdue: number;
}
