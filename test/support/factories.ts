import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/database.js';
import { type TaskFields, taskDefaults } from '../../src/tasks/task.js';

// Factories build valid rows in one line; each test makes what it needs.

export async function insertUser(
  db: Queryable,
  overrides: { email?: string; name?: string } = {},
): Promise<string> {
  const id = randomUUID();
  await db.query('INSERT INTO users (id, name, email) VALUES ($1, $2, $3)', [
    id,
    overrides.name ?? 'Test User',
    overrides.email ?? `${id}@example.test`,
  ]);
  return id;
}

export function taskFields(overrides: Partial<TaskFields> = {}): TaskFields {
  return { ...taskDefaults, title: 'Write the report', ...overrides };
}

/** The user's Inbox, which the database makes with the account. */
export async function inboxOf(db: Queryable, userId: string): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    'SELECT id FROM lists WHERE owner_id = $1 AND inbox',
    [userId],
  );
  return Number(row!.id);
}

export async function insertList(
  db: Queryable,
  ownerId: string,
  overrides: { name?: string; color?: string | null } = {},
): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    'INSERT INTO lists (owner_id, name, color) VALUES ($1, $2, $3) RETURNING id',
    [ownerId, overrides.name ?? 'Groceries', overrides.color ?? null],
  );
  return Number(row!.id);
}
