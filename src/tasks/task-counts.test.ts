import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf, insertList, insertUser, taskFields } from '../../test/support/factories.js';
import {
  createAppRole,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  openTestDatabase,
  type TestDatabase,
} from '../../test/support/test-database.js';
import type { Database, Queryable } from '../db/database.js';
import { ListRepository } from '../lists/repository.js';
import { TaskRepository } from './repository.js';

// The cap on a user's tasks reads a count that triggers on tasks keep, so that a create does
// not count the user's tasks. The count must be exact after every way tasks come and go.

/** Each user's count as kept, and as counted from the table (users with no task left out). */
async function countsKeptAndCounted(db: Queryable) {
  const kept = await db.query<{ user_id: string; tasks: number }>(
    'SELECT user_id, tasks FROM task_counts WHERE tasks > 0 ORDER BY user_id',
  );
  const counted = await db.query<{ user_id: string; tasks: number }>(
    'SELECT user_id, count(*)::integer AS tasks FROM tasks GROUP BY user_id ORDER BY user_id',
  );
  return { kept, counted };
}

async function expectCountsExact(db: Queryable): Promise<void> {
  const { kept, counted } = await countsKeptAndCounted(db);
  expect(counted.length).toBeGreaterThan(0);
  expect(kept).toEqual(counted);
}

describe.each(['server', 'embedded'] as const)('the task counts on %s', (kind) => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
  });
  afterAll(() => close());

  it('follow creates, deletes, subtrees and lists deleted with their tasks', async () => {
    const [ann, bob] = [await insertUser(db), await insertUser(db)];
    const tasks = new TaskRepository(db);
    const lists = new ListRepository(db);
    const groceries = await insertList(db, ann);
    const parent = await tasks.create(ann, taskFields({ title: 'parent' }), undefined, {
      listId: groceries,
    });
    for (let i = 0; i < 3; i++) {
      await tasks.create(ann, taskFields({ title: `child ${i}` }), undefined, {
        parentId: parent.id,
      });
    }
    const kept = await tasks.create(ann, taskFields({ title: 'in the Inbox' }));
    await tasks.create(bob, taskFields({ title: 'bob' }));
    await expectCountsExact(db);
    expect((await countsKeptAndCounted(db)).kept).toContainEqual({ user_id: ann, tasks: 5 });

    // Deleting a parent deletes its subtasks.
    expect(await tasks.delete(ann, parent.id)).toBe(true);
    await expectCountsExact(db);
    await tasks.create(ann, taskFields({ title: 'again' }), undefined, { listId: groceries });
    expect(await lists.delete(ann, groceries)).toBe(true);
    await expectCountsExact(db);
    expect((await countsKeptAndCounted(db)).kept).toContainEqual({ user_id: ann, tasks: 1 });
    expect(await tasks.get(ann, kept.id)).toBeDefined();
  });

  it('follow rows written by SQL: many owners in one statement, deletes, a handover', async () => {
    const owners = [await insertUser(db), await insertUser(db), await insertUser(db)];
    await db.query(
      `INSERT INTO tasks (user_id, title, position)
       SELECT o.id, 'Task ' || g, position_key(g)
         FROM unnest($1::text[]) WITH ORDINALITY AS o(id, n), generate_series(1, 10 * o.n::int) g`,
      [owners],
    );
    await expectCountsExact(db);
    await db.query("DELETE FROM tasks WHERE user_id = ANY($1) AND title LIKE 'Task 1%'", [owners]);
    await expectCountsExact(db);

    // A task given to another owner (into that owner's Inbox) leaves one count for the other.
    const [first, second] = owners as [string, string, string];
    await db.query(
      `UPDATE tasks SET user_id = $2, list_id = $3,
              position = (SELECT position_after(max(position)) FROM tasks
                           WHERE list_id = $3 AND parent_id IS NULL)
        WHERE id = (SELECT min(id) FROM tasks WHERE user_id = $1)`,
      [first, second, await inboxOf(db, second)],
    );
    await expectCountsExact(db);
  });

  it('go with the account', async () => {
    const gone = await insertUser(db);
    await new TaskRepository(db).create(gone, taskFields());
    await db.query('DELETE FROM users WHERE id = $1', [gone]);
    const rows = await db.query('SELECT 1 FROM task_counts WHERE user_id = $1', [gone]);
    expect(rows).toHaveLength(0);
    await expectCountsExact(db);
  });

  it('are emptied with the table', async () => {
    const user = await insertUser(db);
    await new TaskRepository(db).create(user, taskFields());
    await db.exec('TRUNCATE tasks CASCADE');
    expect(await db.query('SELECT * FROM task_counts WHERE tasks > 0')).toEqual([]);
    await new TaskRepository(db).create(user, taskFields());
    await expectCountsExact(db);
  });
});

describe('the task counts for the runtime role', () => {
  let server: TestDatabase;
  let app: { role: string; url: string };
  let appDb: Database;
  beforeAll(async () => {
    server = await createTestDatabase();
    app = await createAppRole(server);
    appDb = openServerDatabase(app.url);
  });
  afterAll(async () => {
    await appDb.close();
    await dropRole(app.role, server);
    await server.drop();
  });

  it('are kept through its creates and deletes, which it may not write itself (42501)', async () => {
    const [ann, bob] = [await insertUser(server.db), await insertUser(server.db)];
    const tasks = new TaskRepository(appDb, { maxTasksPerUser: 10 });
    const made = await tasks.create(ann, taskFields());
    await tasks.create(ann, taskFields());
    await tasks.create(bob, taskFields());
    await tasks.delete(ann, made.id);
    await expectCountsExact(server.db);

    const client = new pg.Client({ connectionString: app.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.user_id', $1, true)", [ann]);
      // Its own count only.
      const { rows } = await client.query('SELECT user_id, tasks FROM task_counts');
      expect(rows).toEqual([{ user_id: ann, tasks: 1 }]);
      for (const sql of [
        'UPDATE task_counts SET tasks = 0',
        'DELETE FROM task_counts',
        `INSERT INTO task_counts (user_id, tasks) VALUES ('${ann}', 0)`,
      ]) {
        await client.query('SAVEPOINT attempt');
        await expect(client.query(sql), sql).rejects.toMatchObject({ code: '42501' });
        await client.query('ROLLBACK TO SAVEPOINT attempt');
      }
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });
});
