import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { type TaskFields, taskDefaults } from '../../src/tasks/task.js';
import type { TaskJson } from '../../src/tasks/task-json.js';
import { authPost, type HttpClient, type TestUser } from './api.js';
import { readTask } from './api-assertions.js';

// Factories build valid users and tasks in one line, through the API (build…) or straight
// into the tables (insert…); each test makes what it needs.

let users = 0;

/** Signs a new user up and in; returns every credential a client can hold. */
export async function buildUser(
  client: Pick<HttpClient, 'origin' | 'request'>,
  overrides: { email?: string; name?: string; password?: string } = {},
): Promise<TestUser> {
  users++;
  const email = overrides.email ?? `user-${randomBytes(4).toString('hex')}-${users}@example.test`;
  const password = overrides.password ?? 'correct-horse-battery';
  const name = overrides.name ?? `User ${users}`;
  const signUp = await authPost(client, '/api/auth/sign-up/email', { email, password, name });
  if (signUp.status !== 200)
    throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
  await signUp.body?.cancel();
  // Sign-up gives no session (it must not tell a new email from a taken one): sign in.
  const signIn = await authPost(client, '/api/auth/sign-in/email', { email, password });
  if (signIn.status !== 200)
    throw new Error(`sign-in after sign-up failed: ${signIn.status} ${await signIn.text()}`);
  const body = (await signIn.json()) as { user: { id: string } };
  const sessionToken = signIn.headers.get('set-auth-token')!;
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  const token = await client.request('/api/auth/token', {
    headers: { authorization: `Bearer ${sessionToken}` },
  });
  if (token.status !== 200) throw new Error(`token failed: ${token.status} ${await token.text()}`);
  const { token: jwt } = (await token.json()) as { token: string };
  return {
    id: body.user.id,
    email: email.toLowerCase(),
    name,
    password,
    sessionToken,
    cookie,
    jwt,
  };
}

/** Creates a task through the API (POST /api/tasks unless told another path); asserts 201. */
export async function buildTask(
  client: Pick<HttpClient, 'json'>,
  user: TestUser,
  fields: Record<string, unknown> = {},
  options: { path?: string; headers?: Record<string, string> } = {},
): Promise<TaskJson> {
  const response = await client.json(
    'POST',
    options.path ?? '/api/tasks',
    user,
    { title: 'Write the report', ...fields },
    options.headers,
  );
  expect(response.status).toBe(201);
  return readTask(response);
}

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
