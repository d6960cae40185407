import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../test/support/api.js';
import { buildTask, buildUser, insertUser } from '../../test/support/factories.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database } from '../db/database.js';
import { TaskRepository } from '../tasks/repository.js';
import { taskToJson } from '../tasks/task-json.js';
import { exportJson, userJson } from './export.js';
import { AccountRepository } from './repository.js';

// The account export is written batch by batch as it is read, and must still be exactly the
// document JSON.stringify would give for the whole: with no batch, one, several, and a last
// batch that is full.

const BATCH = 2;
const exportedAt = new Date('2026-11-29T10:00:00.000Z');

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

/** A user with n tasks, all made by one statement: the same created_at, told apart by id. */
async function userWithTasks(db: Database, n: number): Promise<string> {
  const user = await insertUser(db);
  await db.query(
    `INSERT INTO tasks (user_id, position, title, tags, description)
     SELECT $1, position_key(i), 'Task ' || i, CASE WHEN i % 2 = 0 THEN ARRAY['even', 't' || i] ELSE '{}' END,
            CASE WHEN i % 3 = 0 THEN 'line one' || chr(10) || 'line "two"' END
       FROM generate_series(1, $2::int) AS i`,
    [user, n],
  );
  return user;
}

describe.each(['server', 'embedded'] as const)('the account export on %s', (kind) => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
  });
  afterAll(() => close());

  it.each([
    [0, 'no batch'],
    [1, 'one batch'],
    [BATCH, 'one full batch'],
    [BATCH * 2 + 1, 'several batches'],
    [BATCH * 3, 'several full batches'],
  ])('is byte-identical to the whole document with %i tasks (%s)', async (count) => {
    const userId = await userWithTasks(db, count);
    await userWithTasks(db, 3); // someone else's tasks stay out
    const tasks = new TaskRepository(db);
    const profile = (await new AccountRepository(db).profile(userId))!;
    const document = {
      exported_at: exportedAt.toISOString(),
      user: userJson(profile),
      tasks: (await tasks.all(userId)).map(taskToJson),
    };
    expect(document.tasks).toHaveLength(count);
    for (const space of [0, 2]) {
      const streamed = await collect(
        exportJson(tasks, profile, { space, batchSize: BATCH, exportedAt }),
      );
      expect(streamed).toBe(JSON.stringify(document, null, space));
    }
  });
});

describe('GET /api/me/export', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers the whole document as JSON, oldest task first', async () => {
    const user = await buildUser(api);
    const titles = Array.from({ length: 5 }, (_, i) => `export ${i}`);
    for (const title of titles) await buildTask(api, user, { title });
    const response = await api.json('GET', '/api/me/export', user);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const document = (await response.json()) as {
      exported_at: string;
      user: { id: string; email: string };
      tasks: Array<{ title: string; user_id: string }>;
    };
    expect(Object.keys(document)).toEqual(['exported_at', 'user', 'tasks']);
    expect(document.user).toMatchObject({ id: user.id, email: user.email });
    expect(document.tasks.map((t) => t.title)).toEqual(titles);
  });
});
