import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { type Priority, priorities, type TaskStatus } from './task.js';

// The list query of SPEC §6.3 as SQL, built only from fixed fragments; every value travels
// as a parameter ($1[n] of task_query's text[] argument). Keyset pagination: the order is
// (sort key, id), and a page starts strictly after the last row of the previous one.

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

const column: Record<SortKey, { sql: string; type: string }> = {
  created_at: { sql: 'created_at', type: 'timestamptz' },
  updated_at: { sql: 'updated_at', type: 'timestamptz' },
  due_date: { sql: 'due_date', type: 'timestamptz' },
  priority: { sql: 'priority', type: 'smallint' },
  title: { sql: 'title', type: 'text' },
};

export function buildListSql(userId: string, query: ListQuery): { sql: string; params: string[] } {
  const params: string[] = [userId];
  const param = (value: string, type = 'text') => {
    params.push(value);
    return `$1[${params.length}]::${type}`;
  };
  const where = ['user_id = $1[1]'];
  const f = query.filters;
  if (f.completed !== undefined) where.push(`completed = ${param(String(f.completed), 'boolean')}`);
  if (f.status !== undefined) where.push(`status = ${param(f.status)}`);
  if (f.priority !== undefined)
    where.push(`priority = ${param(String(priorities.indexOf(f.priority)), 'smallint')}`);
  if (f.tags?.length) where.push(`tags @> ARRAY[${f.tags.map((t) => param(t)).join(', ')}]`);
  if (f.q !== undefined && f.q !== '') {
    const pattern = param(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(title ILIKE ${pattern} OR description ILIKE ${pattern})`);
  }
  if (f.dueBefore) where.push(`due_date < ${param(f.dueBefore.toISOString(), 'timestamptz')}`);
  if (f.dueAfter) where.push(`due_date > ${param(f.dueAfter.toISOString(), 'timestamptz')}`);

  const { sql: key, type } = column[query.sort];
  const cmp = query.order === 'desc' ? '<' : '>';
  if (query.after) {
    const id = param(String(query.after.id), 'bigint');
    const value = query.after.value;
    if (query.sort === 'due_date') {
      // No due date sorts last in both orders: after a dated row come later dates, then the
      // undated rows; after an undated row, only undated rows with a further id.
      where.push(
        value === null
          ? `(due_date IS NULL AND id ${cmp} ${id})`
          : `(due_date IS NULL OR (due_date, id) ${cmp} (${param(String(value), type)}, ${id}))`,
      );
    } else {
      where.push(`(${key}, id) ${cmp} (${param(String(value), type)}, ${id})`);
    }
  }
  const direction = query.order === 'desc' ? 'DESC' : 'ASC';
  const nulls = query.sort === 'due_date' ? ' NULLS LAST' : '';
  // One row more than asked tells whether there is a next page.
  const limit = param(String(query.limit + 1), 'integer');
  const sql = `SELECT * FROM tasks WHERE ${where.join(' AND ')} ORDER BY ${key} ${direction}${nulls}, id ${direction} LIMIT ${limit}`;
  return { sql, params };
}

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
  const invalid = () => new AppError('invalid_cursor', 'The cursor is not valid for this query.');
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
