import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf, insertList, insertUser, taskFields } from '../../test/support/factories.js';
import { type PgBouncer, pgbouncerBinary, startPgBouncer } from '../../test/support/pgbouncer.js';
import { toolAvailable } from '../../test/support/required-tool.js';
import { insertTaskRow } from '../../test/support/task-rows.js';
import {
  adminQuery,
  countRows,
  createAppRole,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  type TestDatabase,
} from '../../test/support/test-database.js';
import { TaskRepository } from '../tasks/repository.js';
import type { Task } from '../tasks/task.js';
import type { Database } from './database.js';

// The tasks and idempotency_keys tables have RLS enabled and FORCED with the policy
// user_id = nullif(current_setting('app.user_id', true), ''), set transaction-locally, so even
// a statement that forgets `WHERE user_id` sees only the current user's rows, and nothing
// carries over to the next transaction on a connection shared through PgBouncer.

let server: TestDatabase;
let app: { role: string; url: string };

beforeAll(async () => {
  server = await createTestDatabase();
  app = await createAppRole(server);
});
afterAll(async () => {
  await dropRole(app.role, server);
  await server.drop();
});

interface TaskRow {
  id: string;
  user_id: string;
  title: string;
}

/** A fresh connection as the application's role (not a superuser: RLS applies). */
async function asApp<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: app.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** fn in a transaction that has set app.user_id, rolled back afterwards unless told to commit. */
async function asUser<T>(
  client: pg.Client,
  userId: string,
  fn: () => Promise<T>,
  end: 'COMMIT' | 'ROLLBACK' = 'ROLLBACK',
): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('app.user_id', $1, true)", [userId]);
    return await fn();
  } finally {
    await client.query(end);
  }
}

const sortedIds = (rows: { id: string | number }[]) => rows.map((r) => Number(r.id)).sort();

/** Two users with tasks (and idempotency keys), inserted by the superuser. */
async function seed(): Promise<{ a: string; b: string; aTasks: number[]; bTasks: number[] }> {
  const a = await insertUser(server.db);
  const b = await insertUser(server.db);
  const insert = async (userId: string, n: number) =>
    (
      await server.db.query<{ id: number }>(
        `INSERT INTO tasks (user_id, title, position)
         SELECT $1, 'Task ' || g, position_key(g) FROM generate_series(1, $2) g
         RETURNING id`,
        [userId, n],
      )
    )
      .map((r) => r.id)
      .sort();
  const aTasks = await insert(a, 3);
  const bTasks = await insert(b, 2);
  await server.db.query(
    `INSERT INTO idempotency_keys (user_id, key, fingerprint)
     VALUES ($1, 'a-1', 'f'), ($1, 'a-2', 'f'), ($2, 'b-1', 'f')`,
    [a, b],
  );
  return { a, b, aTasks, bTasks };
}

/** An idempotency key past the 24 hours keys are kept. */
const insertExpiredKey = (userId: string, key: string) =>
  server.db.query(
    `INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at)
     VALUES ($1, $2, 'f', now() - interval '25 hours')`,
    [userId, key],
  );

/** The keys still stored for these users, sorted. */
const keysOf = async (...users: string[]) =>
  (
    await server.db.query<{ key: string }>(
      'SELECT key FROM idempotency_keys WHERE user_id = ANY($1) ORDER BY key',
      [users],
    )
  ).map((row) => row.key);

describe('row-level security', () => {
  it('applies to the application role: it is neither a superuser nor exempt from RLS', async () => {
    const { rows } = await adminQuery(
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
      [app.role],
    );
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
  });

  it('is enabled and FORCED on tasks and idempotency_keys', async () => {
    const rows = await server.db.query(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
        WHERE relname IN ('tasks', 'idempotency_keys') AND relkind = 'r' ORDER BY relname`,
    );
    expect(rows).toEqual([
      { relname: 'idempotency_keys', relrowsecurity: true, relforcerowsecurity: true },
      { relname: 'tasks', relrowsecurity: true, relforcerowsecurity: true },
    ]);
  });

  it('shows a statement with no WHERE only the rows of the user named by app.user_id', async () => {
    const { a, b, aTasks, bTasks } = await seed();
    await asApp(async (client) => {
      await asUser(client, a, async () => {
        const { rows } = await client.query<TaskRow>('SELECT * FROM tasks');
        expect(sortedIds(rows)).toEqual(aTasks);
        expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set([a]));
      });
      await asUser(client, b, async () => {
        const { rows } = await client.query<TaskRow>('SELECT * FROM tasks');
        expect(sortedIds(rows)).toEqual(bTasks);
      });
    });
  });

  it('shows no rows at all when app.user_id is unset or empty', async () => {
    await seed();
    expect(await countRows(server.db, 'tasks'), 'the superuser sees rows').toBeGreaterThan(0);
    await asApp(async (client) => {
      // A fresh connection: app.user_id was never set.
      const unset = await client.query("SELECT current_setting('app.user_id', true) AS v");
      expect(unset.rows[0].v).toBeNull();
      expect((await client.query('SELECT * FROM tasks')).rows).toEqual([]);
      expect((await client.query('SELECT * FROM idempotency_keys')).rows).toEqual([]);
      await asUser(client, '', async () => {
        expect((await client.query('SELECT * FROM tasks')).rows).toEqual([]);
        expect((await client.query('SELECT * FROM idempotency_keys')).rows).toEqual([]);
      });
    });
  });

  it('refuses to insert a row for another user (42501), or to hand a row over to one', async () => {
    const { a, b, aTasks } = await seed();
    await asApp(async (client) => {
      await asUser(client, a, async () => {
        await expect(
          client.query("INSERT INTO tasks (user_id, title) VALUES ($1, 'Planted')", [b]),
        ).rejects.toMatchObject({ code: '42501' });
      });
      // A task belongs to its list's owner: handing it over is refused by that rule (the
      // list's foreign key), whatever row-level security allows.
      await asUser(client, a, async () => {
        await expect(
          client.query('UPDATE tasks SET user_id = $1 WHERE id = $2', [b, aTasks[0]]),
        ).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|23503)$/) });
      });
      await asUser(client, a, async () => {
        await expect(
          client.query(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES ($1, 'x', 'f')",
            [b],
          ),
        ).rejects.toMatchObject({ code: '42501' });
      });
      // Without a user, nobody's rows may be written.
      await expect(
        client.query("INSERT INTO tasks (user_id, title) VALUES ($1, 'Orphan')", [a]),
      ).rejects.toMatchObject({ code: '42501' });
      // The user's own row is accepted.
      await asUser(client, a, async () => {
        const { rowCount } = await client.query(
          "INSERT INTO tasks (user_id, title) VALUES ($1, 'Mine')",
          [a],
        );
        expect(rowCount).toBe(1);
      });
    });
    expect(await countRows(server.db, 'tasks', 'user_id = $1', [b]), "B's rows are untouched").toBe(
      2,
    );
  });

  it("updates and deletes with no WHERE touch only the current user's rows", async () => {
    const { a, b, aTasks, bTasks } = await seed();
    const titles = (userId: string) =>
      server.db.query<{ id: number; title: string }>(
        'SELECT id, title FROM tasks WHERE user_id = $1 ORDER BY id',
        [userId],
      );
    const bBefore = await titles(b);
    const updated = await asApp((client) =>
      asUser(
        client,
        a,
        () => client.query<TaskRow>("UPDATE tasks SET title = 'Overwritten' RETURNING *"),
        'COMMIT',
      ),
    );
    expect(sortedIds(updated.rows)).toEqual(aTasks);
    expect((await titles(a)).map((t) => t.title)).toEqual(aTasks.map(() => 'Overwritten'));
    expect(await titles(b)).toEqual(bBefore);

    const deleted = await asApp((client) =>
      asUser(client, a, () => client.query<TaskRow>('DELETE FROM tasks RETURNING *'), 'COMMIT'),
    );
    expect(sortedIds(deleted.rows)).toEqual(aTasks);
    expect(await titles(a)).toEqual([]);
    expect(sortedIds(await titles(b))).toEqual(bTasks);
  });

  it('shows idempotency keys only to their user', async () => {
    const { a, b } = await seed();
    await asApp(async (client) => {
      await asUser(client, a, async () => {
        const { rows } = await client.query<{ user_id: string; key: string }>(
          'SELECT * FROM idempotency_keys ORDER BY key',
        );
        expect(rows.map((r) => [r.user_id, r.key])).toEqual([
          [a, 'a-1'],
          [a, 'a-2'],
        ]);
      });
      await asUser(client, b, async () => {
        const { rows } = await client.query<{ key: string }>('SELECT key FROM idempotency_keys');
        expect(rows).toEqual([{ key: 'b-1' }]);
      });
    });
  });

  it('lets a statement with no user delete expired idempotency keys, and only those', async () => {
    const { a, b } = await seed();
    await insertExpiredKey(a, 'a-old');
    await insertExpiredKey(b, 'b-old');
    // The purge policy is a DELETE policy: the statement reads no column (no WHERE, no
    // RETURNING), or the SELECT policies would apply to the rows as well and hide them all.
    const deleted = await asApp((client) => client.query('DELETE FROM idempotency_keys'));
    expect(deleted.rowCount).toBe(2);
    expect(await keysOf(a, b)).toEqual(['a-1', 'a-2', 'b-1']);
  });
});

// Lists have the same policy on owner_id, also FORCED; the Inbox of a new account is made by
// a trigger, as whoever inserts the account, with the new user named just for that insert.
describe('row-level security on lists', () => {
  /** A's and B's lists, each an Inbox and one more with a task in it, by the superuser. */
  async function seedLists() {
    const a = await insertUser(server.db);
    const b = await insertUser(server.db);
    const listsOf = async (owner: string) => {
      const list = await insertList(server.db, owner);
      await insertTaskRow(server.db, owner, { list_id: list });
      return [await inboxOf(server.db, owner), list] as const;
    };
    return { a, b, aLists: await listsOf(a), bLists: await listsOf(b) };
  }

  const listsAsSuperuser = (owner: string) =>
    server.db.query('SELECT * FROM lists WHERE owner_id = $1 ORDER BY id', [owner]);

  /** A user's id, made up here: inserted by the application's role, as at sign-up. */
  const signUp = (client: pg.Client) => {
    const id = `signed-up-${randomUUID()}`;
    return client
      .query("INSERT INTO users (id, name, email) VALUES ($1, 'New', $1 || '@example.test')", [id])
      .then(() => id);
  };
  const setting = async (client: pg.Client) =>
    (await client.query("SELECT current_setting('app.user_id', true) AS v")).rows[0].v;

  it('is enabled and FORCED', async () => {
    const rows = await server.db.query(
      "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'lists'",
    );
    expect(rows).toEqual([{ relrowsecurity: true, relforcerowsecurity: true }]);
  });

  it('shows a statement with no WHERE only the lists of the user named by app.user_id', async () => {
    const { a, b, aLists, bLists } = await seedLists();
    await asApp(async (client) => {
      for (const [user, lists] of [
        [a, aLists],
        [b, bLists],
      ] as const) {
        await asUser(client, user, async () => {
          const { rows } = await client.query<TaskRow>('SELECT * FROM lists');
          expect(sortedIds(rows)).toEqual(sortedIds(lists.map((id) => ({ id }))));
        });
      }
    });
  });

  it('shows no list when app.user_id is unset or empty', async () => {
    await seedLists();
    await asApp(async (client) => {
      expect((await client.query('SELECT * FROM lists')).rows).toEqual([]);
      await asUser(client, '', async () => {
        expect((await client.query('SELECT * FROM lists')).rows).toEqual([]);
      });
    });
  });

  it("changes and deletes none of another user's lists, as another user or as none", async () => {
    const { a, b, aLists } = await seedLists();
    const before = await listsAsSuperuser(a);
    await asApp(async (client) => {
      for (const user of [b, '']) {
        await client.query('BEGIN');
        await client.query("SELECT set_config('app.user_id', $1, true)", [user]);
        const renamed = await client.query(
          "UPDATE lists SET name = 'Taken' WHERE id = $1 RETURNING id",
          [aLists[1]],
        );
        const deleted = await client.query('DELETE FROM lists WHERE NOT inbox RETURNING owner_id');
        await client.query('COMMIT');
        expect(renamed.rows, `as ${user}`).toEqual([]);
        expect(
          deleted.rows.filter((r) => r.owner_id !== user),
          `as ${user}`,
        ).toEqual([]);
      }
    });
    expect(await listsAsSuperuser(a)).toEqual(before);
  });

  it('refuses a list made for another user, or for anyone with no user named (42501)', async () => {
    const { a, b } = await seedLists();
    await asApp(async (client) => {
      for (const user of [b, '']) {
        await asUser(client, user, async () => {
          await expect(
            client.query("INSERT INTO lists (owner_id, name) VALUES ($1, 'Planted')", [a]),
          ).rejects.toMatchObject({ code: '42501' });
        });
      }
      await asUser(client, b, async () => {
        const { rowCount } = await client.query(
          "INSERT INTO lists (owner_id, name) VALUES ($1, 'Mine')",
          [b],
        );
        expect(rowCount).toBe(1);
      });
    });
    expect(await listsAsSuperuser(a)).toHaveLength(2);
  });

  it("lets no list or task function reach another user's list", async () => {
    const { a, b, aLists } = await seedLists();
    const aList = aLists[1];
    const bTask = await insertTaskRow(server.db, b);
    const before = await listsAsSuperuser(a);
    await asApp(async (client) => {
      const rows = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows;
      expect(await rows('SELECT * FROM list_summaries($1, $2)', [b, aList])).toEqual([]);
      await expect(
        rows("SELECT * FROM list_update($1, $2, NULL, true, 'Taken', false, NULL)", [b, aList]),
      ).rejects.toMatchObject({ code: 'TDN02' });
      await expect(
        rows('SELECT * FROM list_delete($1, $2, NULL)', [b, aList]),
      ).rejects.toMatchObject({ code: 'TDN02' });
      await expect(
        rows(
          'SELECT * FROM task_create($1, $2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $3, NULL, NULL, NULL, NULL, NULL)',
          [b, 'Planted', aList],
        ),
      ).rejects.toMatchObject({ code: 'TDN02' });
      await expect(
        rows('SELECT * FROM task_move($1, $2, NULL, $3, false, NULL, NULL, NULL)', [
          b,
          bTask.id,
          aList,
        ]),
      ).rejects.toMatchObject({ code: 'TDN02' });
    });
    expect(await listsAsSuperuser(a)).toEqual(before);
  });

  it('gives an account made with no user named its Inbox, and leaves no user named', async () => {
    await asApp(async (client) => {
      const id = await signUp(client);
      expect(['', null]).toContain(await setting(client));
      expect((await client.query('SELECT * FROM lists')).rows).toEqual([]);
      expect(await listsAsSuperuser(id)).toMatchObject([{ name: 'Inbox', inbox: true }]);
    });
  });

  it('gives an account made while another user is named its Inbox, and keeps that user', async () => {
    const { a } = await seedLists();
    await asApp(async (client) => {
      await asUser(client, a, async () => {
        await signUp(client);
        expect(await setting(client)).toBe(a);
        const { rows } = await client.query<{ owner_id: string }>('SELECT owner_id FROM lists');
        expect(new Set(rows.map((r) => r.owner_id))).toEqual(new Set([a]));
      });
    });
  });

  it('deletes the lists with the account the application deletes, with no user named', async () => {
    const { a } = await seedLists();
    await asApp((client) => client.query('DELETE FROM users WHERE id = $1', [a]));
    expect(await listsAsSuperuser(a)).toEqual([]);
    expect(await countRows(server.db, 'tasks', 'user_id = $1', [a])).toBe(0);
  });
});

describe('idempotency_keys_purge()', () => {
  it('deletes only expired keys, as the app role and as a superuser', async () => {
    const { a, b } = await seed();
    await insertExpiredKey(a, 'a-expired');
    await insertExpiredKey(b, 'b-expired');
    const asRole = await asApp((client) =>
      client.query<{ n: string }>('SELECT idempotency_keys_purge() AS n'),
    );
    expect(Number(asRole.rows[0]!.n)).toBe(2);
    await insertExpiredKey(a, 'a-expired-again');
    const asSuperuser = await server.db.query<{ n: number }>(
      'SELECT idempotency_keys_purge() AS n',
    );
    expect(Number(asSuperuser[0]!.n)).toBe(1);
    expect(await keysOf(a, b)).toEqual(['a-1', 'a-2', 'b-1']);
  });
});

describe('app.user_id is transaction-local', () => {
  it('is gone after COMMIT or ROLLBACK, on the same connection', async () => {
    const { a, aTasks } = await seed();
    await asApp(async (client) => {
      for (const end of ['COMMIT', 'ROLLBACK'] as const) {
        const inside = await asUser(client, a, () => client.query('SELECT * FROM tasks'), end);
        expect(inside.rows).toHaveLength(aTasks.length);
        const setting = await client.query("SELECT current_setting('app.user_id', true) AS v");
        expect(['', null], end).toContain(setting.rows[0].v);
        expect((await client.query('SELECT * FROM tasks')).rows, end).toEqual([]);
      }
    });
  });

  it('is left behind by no task function: the next statement on the connection sees nothing', async () => {
    const { a, aTasks } = await seed();
    // One connection, so every statement follows the previous one on the same session.
    const db = openServerDatabase(app.url, 1);
    const tasks = new TaskRepository(db);
    const visible = () => countRows(db, 'tasks');
    try {
      const id = aTasks[0]!;
      const calls: [string, () => Promise<unknown>][] = [
        ['create', () => tasks.create(a, taskFields())],
        ['create with a key', () => tasks.create(a, taskFields(), { key: 'k', fingerprint: 'f' })],
        ['get', () => tasks.get(a, id)],
        ['list', () => tasks.list(a, { limit: 5, sort: 'created_at', order: 'desc', filters: {} })],
        ['update', () => tasks.update(a, id, { title: 'Renamed' })],
        ['toggle', () => tasks.toggle(a, id)],
        ['counts', () => tasks.counts(a)],
        ['all', () => tasks.all(a)],
        ['delete', () => tasks.delete(a, aTasks[1]!)],
      ];
      for (const [name, call] of calls) {
        await call();
        expect(await visible(), `after ${name}`).toBe(0);
      }
    } finally {
      await db.close();
    }
  });
});

describe('TaskRepository as the application role', () => {
  let db: Database;
  let tasks: TaskRepository;
  beforeAll(() => {
    db = openServerDatabase(app.url);
    tasks = new TaskRepository(db);
  });
  afterAll(() => db.close());

  it("sets the user for every call, and never gives user B anything of user A's", async () => {
    const alice = await insertUser(server.db);
    const bob = await insertUser(server.db);
    const created = await tasks.create(alice, taskFields({ title: 'Alpha', tags: ['x'] }));
    expect(created.userId).toBe(alice);
    const replay = await tasks.create(alice, taskFields({ title: 'Alpha', tags: ['x'] }), {
      key: 'key-1',
      fingerprint: 'f-1',
    });
    expect(
      await tasks.create(alice, taskFields({ title: 'Alpha', tags: ['x'] }), {
        key: 'key-1',
        fingerprint: 'f-1',
      }),
    ).toEqual(replay);
    const bobs = await tasks.create(bob, taskFields({ title: 'Bravo' }));

    expect(await tasks.get(alice, created.id)).toEqual(created);
    const page = await tasks.list(alice, { limit: 10, sort: 'title', order: 'asc', filters: {} });
    expect(page.tasks.map((t) => t.id).sort()).toEqual([created.id, replay.id].sort());
    const tagged = await tasks.list(alice, {
      limit: 10,
      sort: 'created_at',
      order: 'desc',
      filters: { tags: ['x'], q: 'alp' },
    });
    expect(tagged.tasks.length).toBe(2);
    expect(await tasks.update(alice, created.id, { title: 'Renamed' }, 1)).toMatchObject({
      title: 'Renamed',
      version: 2,
    });
    expect(await tasks.toggle(alice, created.id, 2)).toMatchObject({
      status: 'completed',
      version: 3,
    });
    expect(await tasks.counts(alice)).toMatchObject({ total: 2, completed: 1, pending: 1 });
    expect((await tasks.all(alice)).map((t) => t.userId)).toEqual([alice, alice]);

    // Bob sees and touches only his own task.
    expect(await tasks.get(bob, created.id)).toBeUndefined();
    expect(await tasks.update(bob, created.id, { title: 'Stolen' })).toBeUndefined();
    expect(await tasks.toggle(bob, created.id)).toBeUndefined();
    expect(await tasks.delete(bob, created.id)).toBe(false);
    const bobsPage = await tasks.list(bob, { limit: 10, sort: 'title', order: 'asc', filters: {} });
    expect(bobsPage.tasks).toEqual([bobs]);
    expect(await tasks.all(bob)).toEqual([bobs]);
    expect(await tasks.counts(bob)).toMatchObject({ total: 1 });

    expect(await tasks.delete(alice, created.id, 3)).toBe(true);
    expect(await tasks.get(alice, created.id)).toBeUndefined();
    expect(await tasks.counts(alice)).toMatchObject({ total: 1 });
    expect(await tasks.get(bob, bobs.id)).toEqual(bobs);
  });
});

const hasPgBouncer = toolAvailable(
  pgbouncerBinary,
  'apt-get install -y pgbouncer',
  'the PgBouncer tests in rls.test.ts',
);

describe.skipIf(!hasPgBouncer)('through PgBouncer in transaction mode', () => {
  // One server connection for the role: every client's transactions run on it in turn.
  let bouncer: PgBouncer;
  let role: { role: string; url: string };
  let alice: string;
  let bob: string;
  const dbs: Database[] = [];

  beforeAll(async () => {
    role = await createAppRole(server);
    alice = await insertUser(server.db);
    bob = await insertUser(server.db);
    bouncer = await startPgBouncer({ database: server.name, users: [role.role], poolSize: 1 });
  });
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    await bouncer?.stop();
    await dropRole(role.role, server);
  });

  const open = () => {
    const db = openServerDatabase(bouncer.urlFor(role.role), 3);
    dbs.push(db);
    return db;
  };

  it('never carries the app.user_id of one transaction over to another client', async () => {
    const aliceDb = open();
    const bobDb = open();
    const probeDb = open();
    const asAlice = new TaskRepository(aliceDb);
    const asBob = new TaskRepository(bobDb);

    // Alice has few tasks and Bob many, so counts tell them apart.
    const aliceIds: number[] = [];
    const bobIds: number[] = [];
    for (let i = 0; i < 3; i++) aliceIds.push((await asAlice.create(alice, taskFields())).id);
    for (let i = 0; i < 40; i++) bobIds.push((await asBob.create(bob, taskFields())).id);

    const probes: { n: number; setting: string | null; pid: number }[] = [];
    const probe = async () => {
      const [row] = await probeDb.query<{ n: number; setting: string | null; pid: number }>(
        "SELECT count(*)::int AS n, current_setting('app.user_id', true) AS setting, pg_backend_pid() AS pid FROM tasks",
      );
      probes.push(row!);
    };

    const operation = async (i: number) => {
      // Alice and Bob alternate; each of them runs every kind of call in turn.
      const mine = i % 2 === 0;
      const user = mine ? alice : bob;
      const tasks = mine ? asAlice : asBob;
      const own = mine ? aliceIds : bobIds;
      const theirs = mine ? bobIds : aliceIds;
      const id = own[i % own.length]!;
      const expectOwn = (task: Task | undefined) => expect(task?.userId, `op ${i}`).toBe(user);
      switch (Math.floor(i / 2) % 8) {
        case 0:
          expectOwn(await tasks.create(user, taskFields({ title: `Op ${i}` })));
          break;
        case 1:
          expectOwn(await tasks.get(user, id));
          expect(await tasks.get(user, theirs[i % theirs.length]!)).toBeUndefined();
          break;
        case 2: {
          const page = await tasks.list(user, {
            limit: 50,
            sort: 'created_at',
            order: 'desc',
            filters: {},
          });
          expect(page.tasks.length).toBeGreaterThan(0);
          for (const task of page.tasks) expectOwn(task);
          break;
        }
        case 3:
          expectOwn(await tasks.update(user, id, { description: `op ${i}` }));
          break;
        case 4:
          expectOwn(await tasks.toggle(user, id));
          break;
        case 5: {
          const { total } = await tasks.counts(user);
          if (mine) expect(total).toBeLessThan(40);
          else expect(total).toBeGreaterThanOrEqual(40);
          break;
        }
        case 6: {
          const task = await tasks.create(user, taskFields({ title: 'Short-lived' }));
          expect(await tasks.delete(user, task.id)).toBe(true);
          expect(await tasks.get(user, task.id)).toBeUndefined();
          break;
        }
        case 7:
          for (const task of await tasks.all(user)) expectOwn(task);
          break;
      }
    };

    const work: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      work.push(operation(i));
      if (i % 2 === 1) work.push(probe());
    }
    await Promise.all(work);

    // A statement with no user of its own saw nothing, every time, on the one shared backend.
    expect(probes.length).toBe(100);
    for (const row of probes) {
      expect(row.n).toBe(0);
      expect(['', null]).toContain(row.setting);
    }
    expect(new Set(probes.map((row) => row.pid)).size).toBe(1);

    const backends = await adminQuery(
      'SELECT pid FROM pg_stat_activity WHERE usename = $1 AND datname = $2',
      [role.role, server.name],
    );
    expect(backends.rows).toEqual([{ pid: probes[0]!.pid }]);
    const [pool] = (await bouncer.admin('SHOW POOLS')).filter(
      (row) => row.database === server.name && row.user === role.role,
    );
    const serverConnections = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login']
      .map((column) => Number(pool?.[column]))
      .reduce((sum, n) => sum + n, 0);
    expect(serverConnections).toBe(1);
    const clients = (await bouncer.admin('SHOW CLIENTS')).filter(
      (row) => row.database === server.name && row.user === role.role,
    );
    expect(clients.length, 'several clients shared the one server connection').toBeGreaterThan(3);
  });
});
