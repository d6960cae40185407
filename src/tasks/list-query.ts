import { type Priority, priorities, type TaskStatus } from './task.js';

// The list query (GET /api/tasks) as the typed arguments of task_list (migrations/0005), which
// builds its statement from fixed fragments: no SQL text leaves this process. Keyset
// pagination: the order is (sort key, id), and a page starts strictly after the last row of
// the previous one (cursor.ts carries that position between requests).

export const sortKeys = [
  'created_at',
  'updated_at',
  'due_date',
  'priority',
  'title',
  'position',
] as const;
export type SortKey = (typeof sortKeys)[number];
export type SortOrder = 'asc' | 'desc';

/** Newest first for times and priority; A to Z for titles; the manual order as it stands. */
export const defaultOrder = (sort: SortKey): SortOrder =>
  sort === 'title' || sort === 'position' ? 'asc' : 'desc';

export interface TaskFilters {
  completed?: boolean;
  status?: TaskStatus;
  priority?: Priority;
  /** Every tag must be present. */
  tags?: string[];
  /** Case-insensitive substring of the title or the description. */
  q?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  /** One list of the caller's. */
  listId?: number;
  /** The subtasks of one task, or 'none' for top-level tasks only. */
  parentId?: number | 'none';
  /** Only the tasks assigned to the caller. */
  assignedToMe?: boolean;
}

/** Where the previous page ended: its last row's sort value and id. */
export interface Position {
  value: string | number | null;
  id: number;
}

/** What a list shows and in which order, whatever page of it is read. */
export interface ListSelection {
  sort: SortKey;
  order: SortOrder;
  filters: TaskFilters;
}

export interface ListQuery extends ListSelection {
  limit: number;
  after?: Position;
}

/**
 * task_list's arguments, in order: the user, sort, descending, limit (one row more than asked
 * tells whether there is a next page), the filters (null when absent), the cursor's id and
 * sort value (the time, the priority or the title; for due_date a null time is an undated
 * row), the list and parent filters, and the cursor's position for the manual order.
 */
export type TaskListArguments = [
  userId: string,
  sort: SortKey,
  descending: boolean,
  limit: number,
  completed: boolean | null,
  status: TaskStatus | null,
  priority: number | null,
  tags: string[] | null,
  q: string | null,
  dueBefore: Date | null,
  dueAfter: Date | null,
  afterId: number | null,
  afterTime: string | null,
  afterPriority: number | null,
  afterTitle: string | null,
  listId: number | null,
  parentId: number | null,
  topLevel: boolean,
  afterPosition: string | null,
  assignedToMe: boolean,
];

export function listArguments(userId: string, query: ListQuery): TaskListArguments {
  const f = query.filters;
  const after = query.after;
  const value = after?.value ?? null;
  const byTime = query.sort !== 'priority' && query.sort !== 'title' && query.sort !== 'position';
  return [
    userId,
    query.sort,
    query.order === 'desc',
    query.limit + 1,
    f.completed ?? null,
    f.status ?? null,
    f.priority === undefined ? null : priorities.indexOf(f.priority),
    f.tags?.length ? f.tags : null,
    f.q ? f.q : null,
    f.dueBefore ?? null,
    f.dueAfter ?? null,
    after?.id ?? null,
    after && byTime ? (value as string | null) : null,
    after && query.sort === 'priority' ? (value as number) : null,
    after && query.sort === 'title' ? (value as string) : null,
    f.listId ?? null,
    typeof f.parentId === 'number' ? f.parentId : null,
    f.parentId === 'none',
    after && query.sort === 'position' ? (value as string) : null,
    f.assignedToMe === true,
  ];
}
