import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type Catalog, snapshotCatalog } from '../../test/support/catalog.js';
import {
  adminQuery,
  countRows,
  createTestDatabase,
  openServerDatabase,
  urlFor,
} from '../../test/support/test-database.js';
import type { Database, Queryable, Row } from '../db/database.js';
import { openEmbeddedDatabase } from '../db/embedded-database.js';
import { Migrator } from '../db/migrator.js';
import { rolesScript } from '../db/roles.js';

// Migration 9 (lists) on a database that already holds users, tasks and idempotency keys:
// every task goes to its owner's Inbox, numbered in the order the tasks were made, with its
// version and times as they were; a stored response gains the task's new fields. Migrating
// back to 8 gives the old schema again, every task with every field it had.

const before = 8;

interface Populated {
  /** Each user's task ids, oldest first by (created_at, id). */
  tasksByAge: Map<string, number[]>;
  /** Every tasks row as it was at version 8. */
  tasks: Row[];
  idempotencyKeys: Row[];
  catalog: Catalog;
}

const taskRows = (db: Queryable) => db.query('SELECT * FROM tasks ORDER BY id');
const keyRows = (db: Queryable) => db.query('SELECT * FROM idempotency_keys ORDER BY user_id, key');

/**
 * Three users at version 8: two with tasks made in another order than their ids (one tie of
 * created_at, broken by id), edited, completed and with set times, and one with none; stored
 * responses of live tasks, and a claimed key with no response yet.
 */
async function populate(db: Database): Promise<Populated> {
  const users = ['ann', 'bob', 'cyd'];
  for (const id of users) {
    await db.query('INSERT INTO users (id, name, email) VALUES ($1, $1, $1 || $2)', [
      id,
      '@example.test',
    ]);
  }
  // Ann's tasks, by id: made on days 3, 1, 2, 1, 5 (two on day 1); Bob's: days 2, 1.
  const days: [string, number][] = [
    ['ann', 3],
    ['ann', 1],
    ['bob', 2],
    ['ann', 2],
    ['ann', 1],
    ['bob', 1],
    ['ann', 5],
  ];
  const ids: number[] = [];
  for (const [user, day] of days) {
    const [row] = await db.query<{ id: number }>(
      "INSERT INTO tasks (user_id, title, tags) VALUES ($1, $2, '{x}') RETURNING id",
      [user, `Made on day ${day}`],
    );
    ids.push(Number(row!.id));
  }
  await db.query("UPDATE tasks SET title = title || ' (edited)' WHERE id = ANY($1)", [
    ids.filter((_, i) => i % 2 === 0),
  ]);
  await db.query("UPDATE tasks SET status = 'completed' WHERE id = $1", [ids[1]]);
  await db.transaction(async (tx) => {
    // Times as old data has them: no trigger may move them here.
    await tx.exec('SET LOCAL session_replication_role = replica');
    for (const [i, [, day]] of days.entries()) {
      await tx.query(
        `UPDATE tasks SET created_at = timestamptz '2024-01-01T00:00:00Z' + $2 * interval '1 day',
                          updated_at = timestamptz '2024-02-01T00:00:00Z' + $3 * interval '1 hour'
          WHERE id = $1`,
        [ids[i], day, i],
      );
    }
  });
  await db.query(
    `INSERT INTO idempotency_keys (user_id, key, fingerprint, response)
     SELECT user_id, 'key-' || id, 'f', to_jsonb(t) FROM tasks t WHERE id = ANY($1)`,
    [[ids[0], ids[5]]],
  );
  await db.query(
    "INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES ('ann', 'in-flight', 'f')",
  );

  const tasksByAge = new Map<string, number[]>();
  const aged = await db.query<{ user_id: string; id: number }>(
    'SELECT user_id, id FROM tasks ORDER BY created_at, id',
  );
  for (const { user_id, id } of aged) {
    tasksByAge.set(user_id, [...(tasksByAge.get(user_id) ?? []), Number(id)]);
  }
  return {
    tasksByAge,
    tasks: await taskRows(db),
    idempotencyKeys: await keyRows(db),
    catalog: await snapshotCatalog(db),
  };
}

/** A row without the columns migration 9 adds. */
const withoutNewColumns = (row: Row): Row => {
  const { list_id, parent_id, position, subtasks_total, subtasks_completed, ...old } = row;
  return old;
};

async function expectMigratedUp(db: Database, populated: Populated): Promise<void> {
  const inboxes = new Map(
    (
      await db.query<{ owner_id: string; id: number }>('SELECT owner_id, id FROM lists WHERE inbox')
    ).map((l) => [l.owner_id, Number(l.id)]),
  );
  expect([...inboxes.keys()].sort()).toEqual(['ann', 'bob', 'cyd']);
  expect(await countRows(db, 'lists'), 'one list per user: the Inbox').toBe(3);

  const tasks = await taskRows(db);
  expect(tasks.map(withoutNewColumns), 'every task, its fields, version and times').toEqual(
    populated.tasks,
  );
  for (const task of tasks) {
    expect(Number(task.list_id), `task ${task.id}`).toBe(inboxes.get(task.user_id as string));
    expect(task.parent_id).toBeNull();
    expect([task.subtasks_total, task.subtasks_completed]).toEqual([0, 0]);
  }
  for (const [user, oldestFirst] of populated.tasksByAge) {
    const byPosition = tasks
      .filter((t) => t.user_id === user)
      .sort((a, b) => ((a.position as string) < (b.position as string) ? -1 : 1));
    expect(
      byPosition.map((t) => Number(t.id)),
      `${user}'s positions`,
    ).toEqual(oldestFirst);
    expect(new Set(byPosition.map((t) => t.position)).size).toBe(oldestFirst.length);
  }

  const keys = await db.query<{ key: string; response: Row | null }>(
    'SELECT key, response FROM idempotency_keys ORDER BY user_id, key',
  );
  for (const { key, response } of keys) {
    if (response === null) continue;
    const task = tasks.find((t) => Number(t.id) === response.id)!;
    expect(response, key).toMatchObject({
      list_id: Number(task.list_id),
      parent_id: null,
      position: task.position,
      subtasks_total: 0,
      subtasks_completed: 0,
    });
  }
  expect(keys.find((k) => k.key === 'in-flight')?.response).toBeNull();
}

/** Migrates as `migrating`; populates and inspects as `db`. */
async function migrateUpAndBack(db: Database, migrating: Database = db): Promise<void> {
  const migrator = new Migrator(migrating);
  await migrator.migrate({ to: before });
  const populated = await populate(db);

  expect(await migrator.migrate({ to: before + 1 })).toEqual([before + 1]);
  await expectMigratedUp(db, populated);

  expect(await migrator.rollback({ to: before })).toEqual([before + 1]);
  expect(await snapshotCatalog(db)).toEqual(populated.catalog);
  expect(await taskRows(db)).toEqual(populated.tasks);
  expect(await keyRows(db)).toEqual(populated.idempotencyKeys);
}

describe('migration 9 on a populated database', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  it('on the server: tasks go to their Inbox in the order they were made, and come back', async () => {
    const database = await createTestDatabase({ migrate: false });
    cleanups.push(() => database.drop());
    await migrateUpAndBack(database.db);
  });

  it('as the owner role the migrations run as (not a superuser): the same', async () => {
    // Row-level security is FORCED on tasks, idempotency_keys and lists, so it holds for
    // their owner too: a statement of the migration reads and writes only what it lets through.
    const suffix = randomBytes(4).toString('hex');
    const names = {
      owner: `todo_owner_${suffix}`,
      app: `todo_app_${suffix}`,
      database: `todo_lists_${suffix}`,
    };
    const script = rolesScript(names);
    for (const statement of script.cluster) await adminQuery(statement);
    const admin = openServerDatabase(urlFor(names.database));
    const owner = openServerDatabase(urlFor(names.database, names.owner), 1);
    cleanups.push(async () => {
      await Promise.all([admin.close(), owner.close()]);
      await adminQuery(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
      await adminQuery(`DROP ROLE IF EXISTS ${names.owner}`);
      await adminQuery(`DROP ROLE IF EXISTS ${names.app}`);
    });
    for (const statement of script.database) await admin.query(statement);
    await migrateUpAndBack(admin, owner);
  });

  it('on embedded: the same', async () => {
    const db = await openEmbeddedDatabase(undefined);
    cleanups.push(() => db.close());
    await migrateUpAndBack(db);
  });

  it('gives the stored response of a task deleted since the fields of a task too', async () => {
    // A replay answers with the stored task, which has every field of a task in the API.
    const database = await createTestDatabase({ migrate: false });
    cleanups.push(() => database.drop());
    const { db } = database;
    await new Migrator(db).migrate({ to: before });
    await db.query("INSERT INTO users (id, name, email) VALUES ('dee', 'Dee', 'dee@example.test')");
    await db.query(
      `WITH made AS (INSERT INTO tasks (user_id, title) VALUES ('dee', 'Short-lived') RETURNING *)
       INSERT INTO idempotency_keys (user_id, key, fingerprint, response)
       SELECT user_id, 'gone', 'f', to_jsonb(made) FROM made`,
    );
    await db.query("DELETE FROM tasks WHERE user_id = 'dee'");
    await new Migrator(db).migrate({ to: before + 1 });

    const [replay] = await db.query(
      "SELECT * FROM task_create('dee', 'Short-lived', NULL, NULL, NULL, NULL, NULL, 'gone', 'f', NULL, NULL, NULL)",
    );
    const [inbox] = await db.query<{ id: number }>(
      "SELECT id FROM lists WHERE owner_id = 'dee' AND inbox",
    );
    expect(replay).toMatchObject({
      title: 'Short-lived',
      list_id: inbox!.id,
      parent_id: null,
      position: expect.stringMatching(/^[0-9A-Za-z]{2,200}$/),
      subtasks_total: 0,
      subtasks_completed: 0,
    });
  });
});
