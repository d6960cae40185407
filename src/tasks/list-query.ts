import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import { type Priority, priorities, type TaskStatus } from './task.js';

// The list query (GET /api/tasks) as the typed arguments of task_list (migrations/0005), which
// builds its statement from fixed fragments: no SQL text leaves this process. Keyset
// pagination: the order is (sort key, id), and a page starts strictly after the last row of
// the previous one.

export const sortKeys = ['created_at', 'updated_at', 'due_date', 'priority', 'title'] as const;
export type SortKey = (typeof sortKeys)[number];
export type SortOrder = 'asc' | 'desc';

export const defaultOrder = (sort: SortKey): SortOrder => (sort === 'title' ? 'asc' : 'desc');

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
}

/** Where the previous page ended: its last row's sort value and id. */
export interface Position {
  value: string | number | null;
  id: number;
}

export interface ListQuery {
  limit: number;
  sort: SortKey;
  order: SortOrder;
  filters: TaskFilters;
  after?: Position;
}

/**
 * task_list's arguments after the user id, in order: sort, descending, limit (one row more
 * than asked tells whether there is a next page), the filters (null when absent), and the
 * cursor's id and sort value (the time, the priority or the title; for due_date a null time
 * is an undated row).
 */
export function listArguments(userId: string, query: ListQuery): unknown[] {
  const f = query.filters;
  const after = query.after;
  const value = after?.value ?? null;
  const byTime = query.sort !== 'priority' && query.sort !== 'title';
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
    after && byTime ? value : null,
    after && query.sort === 'priority' ? value : null,
    after && query.sort === 'title' ? value : null,
  ];
}

export const listStatement =
  'SELECT * FROM task_list($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)';

// Cursors are opaque to clients: base64url JSON of the position and a fingerprint of the
// sort, order and filters it was made for, so it is refused under any other query.

export function encodeCursor(
  query: Omit<ListQuery, 'limit' | 'after'>,
  position: Position,
): string {
  return Buffer.from(
    JSON.stringify({ p: [position.value, position.id], f: fingerprint(query) }),
  ).toString('base64url');
}

export function decodeCursor(cursor: string, query: Omit<ListQuery, 'limit' | 'after'>): Position {
  const invalid = fail.invalidCursor;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid();
  const { p, f } = decoded as { p?: unknown; f?: unknown };
  if (f !== fingerprint(query) || !Array.isArray(p) || p.length !== 2) throw invalid();
  const [value, id] = p as [unknown, unknown];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw invalid();
  if (!validPositionValue(query.sort, value)) throw invalid();
  return { value: value as Position['value'], id };
}

function validPositionValue(sort: SortKey, value: unknown): boolean {
  switch (sort) {
    case 'created_at':
    case 'updated_at':
      return typeof value === 'string' && isIsoTime(value);
    case 'due_date':
      return value === null || (typeof value === 'string' && isIsoTime(value));
    case 'priority':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3;
    case 'title':
      return typeof value === 'string' && value.length <= 1000 && !value.includes('\u0000');
  }
}

/** Exactly the form toISOString() writes, of a day that exists (cursors are not signed). */
const isIsoTime = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) || v.startsWith('0000'))
    return false;
  const time = Date.parse(v);
  return !Number.isNaN(time) && new Date(time).toISOString() === v;
};

function fingerprint(query: Omit<ListQuery, 'limit' | 'after'>): string {
  const f = query.filters;
  const canonical = JSON.stringify([
    query.sort,
    query.order,
    f.completed ?? null,
    f.status ?? null,
    f.priority ?? null,
    [...(f.tags ?? [])].sort(),
    f.q ?? null,
    f.dueBefore?.toISOString() ?? null,
    f.dueAfter?.toISOString() ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}
