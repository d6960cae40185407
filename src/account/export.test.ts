import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../test/support/api.js';
import { buildTask, buildUser, insertUser } from '../../test/support/factories.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database } from '../db/database.js';
import { type ListJson, listToJson } from '../lists/list-json.js';
import { ListRepository } from '../lists/repository.js';
import { SharingRepository } from '../sharing/repository.js';
import { TaskRepository } from '../tasks/repository.js';
import { taskToJson } from '../tasks/task-json.js';
import { exportJson, userJson } from './export.js';
import { AccountRepository } from './repository.js';

// The account export is written batch by batch as it is read, and must still be exactly the
// document JSON.stringify would give for the whole: with no batch, one, several, and a last
// batch that is full; with the user's lists (one named with the "[]" an empty array is
// written as) before the tasks.

const BATCH = 2;
const exportedAt = new Date('2026-11-29T10:00:00.000Z');

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

/**
 * A user with a second list and n tasks, all made by one statement (the same created_at, told
 * apart by id): odd ones in the Inbox, even ones in the second list.
 */
async function userWithTasks(db: Database, n: number): Promise<string> {
  const user = await insertUser(db);
  const list = await new ListRepository(db).create(user, { name: 'Shopping []', color: null });
  await db.query(
    `INSERT INTO tasks (user_id, list_id, position, title, tags, description)
     SELECT $1, CASE WHEN i % 2 = 0 THEN $3::bigint END, position_key(i), 'Task ' || i,
            CASE WHEN i % 2 = 0 THEN ARRAY['even', 't' || i] ELSE '{}' END,
            CASE WHEN i % 3 = 0 THEN 'line one' || chr(10) || 'line "two"' END
       FROM generate_series(1, $2::int) AS i`,
    [user, n, list.id],
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
    await userWithTasks(db, 3); // someone else's lists and tasks stay out
    const sources = {
      lists: new ListRepository(db),
      tasks: new TaskRepository(db),
      sharing: new SharingRepository(db),
    };
    const profile = (await new AccountRepository(db).profile(userId))!;
    const document = {
      exported_at: exportedAt.toISOString(),
      user: userJson(profile),
      lists: (await sources.lists.all(userId)).map(listToJson),
      memberships: [],
      tasks: (await sources.tasks.all(userId)).map(taskToJson),
    };
    expect(document.lists.map((l) => [l.name, l.owner_id, l.counts.total])).toEqual([
      ['Inbox', userId, Math.ceil(count / 2)],
      ['Shopping []', userId, Math.floor(count / 2)],
    ]);
    expect(document.tasks).toHaveLength(count);
    for (const space of [0, 2]) {
      const streamed = await collect(
        exportJson(sources, profile, { space, batchSize: BATCH, exportedAt }),
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

  it('answers the whole document as JSON: the lists as GET /api/lists, oldest task first', async () => {
    const user = await buildUser(api);
    const created = await api.json('POST', '/api/lists', user, { name: 'Work', color: '#1e90ff' });
    expect(created.status).toBe(201);
    const work = (await created.json()) as ListJson;
    const titles = Array.from({ length: 5 }, (_, i) => `export ${i}`);
    for (const [i, title] of titles.entries()) {
      await buildTask(api, user, i % 2 ? { title, list_id: work.id } : { title });
    }
    const lists = (await (await api.json('GET', '/api/lists', user)).json()) as ListJson[];
    expect(lists.map((l) => [l.name, l.counts.total])).toEqual([
      ['Inbox', 3],
      ['Work', 2],
    ]);
    const response = await api.json('GET', '/api/me/export', user);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const document = (await response.json()) as {
      exported_at: string;
      user: { id: string; email: string };
      lists: ListJson[];
      tasks: Array<{ title: string; user_id: string; list_id: number }>;
    };
    expect(Object.keys(document)).toEqual(['exported_at', 'user', 'lists', 'memberships', 'tasks']);
    expect(document.user).toMatchObject({ id: user.id, email: user.email });
    expect(document.lists).toEqual(lists);
    expect(document.tasks.map((t) => [t.title, t.list_id])).toEqual(
      titles.map((title, i) => [title, i % 2 ? work.id : lists[0]!.id]),
    );
  });
});
