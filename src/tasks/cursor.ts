import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import type { ListSelection, Position, SortKey } from './list-query.js';

// Cursors are opaque to clients: base64url JSON of the position and a digest of the sort,
// order and filters it was made for, so it is refused under any other query.

export function encodeCursor(query: ListSelection, position: Position): string {
  return Buffer.from(
    JSON.stringify({ p: [position.value, position.id], f: queryDigest(query) }),
  ).toString('base64url');
}

export function decodeCursor(cursor: string, query: ListSelection): Position {
  const invalid = fail.invalidCursor;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid();
  const { p, f } = decoded as { p?: unknown; f?: unknown };
  if (f !== queryDigest(query) || !Array.isArray(p) || p.length !== 2) throw invalid();
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
    case 'position':
      return typeof value === 'string' && /^[0-9A-Za-z]{2,200}$/.test(value);
  }
}

/** Exactly the form toISOString() writes, of a day that exists (cursors are not signed). */
const isIsoTime = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) || v.startsWith('0000'))
    return false;
  const time = Date.parse(v);
  return !Number.isNaN(time) && new Date(time).toISOString() === v;
};

/** A short digest of the sort, order and filters, so a cursor only fits the query it came from. */
function queryDigest(query: ListSelection): string {
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
    // Only when present, so that cursors made before lists existed stay valid.
    ...(f.listId === undefined && f.parentId === undefined
      ? []
      : [f.listId ?? null, f.parentId ?? null]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}
