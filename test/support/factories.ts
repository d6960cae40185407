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
