import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf, insertList, insertUser } from '../../test/support/factories.js';
import { insertTaskRow } from '../../test/support/task-rows.js';
import {
  createAppRole,
  createTestDatabase,
  dropRole,
  type TestDatabase,
} from '../../test/support/test-database.js';

// The lists table has row-level security enabled and FORCED with the policy
// owner_id = nullif(current_setting('app.user_id', true), ''), as tasks have: as the
// application's role (neither a superuser nor exempt from RLS), a statement sees and writes
// only the lists of the user named by app.user_id, and none when no user is named.

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

/** A fresh connection as the application's role. */
async function asApp<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: app.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** fn in a transaction as `userId` (none when null), rolled back afterwards. */
async function asUser<T>(
  client: pg.Client,
  userId: string | null,
  fn: () => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    if (userId !== null) await client.query("SELECT set_config('app.user_id', $1, true)", [userId]);
    return await fn();
  } finally {
    await client.query('ROLLBACK');
  }
}

/** A's and B's lists, each an Inbox and one more, with a task in it, as the superuser. */
async function seed(): Promise<{ a: string; b: string; aLists: number[]; bLists: number[] }> {
  const a = await insertUser(server.db);
  const b = await insertUser(server.db);
  const listsOf = async (owner: string) => {
    const list = await insertList(server.db, owner);
    await insertTaskRow(server.db, owner, { list_id: list });
    return [await inboxOf(server.db, owner), list];
  };
  return { a, b, aLists: await listsOf(a), bLists: await listsOf(b) };
}

/** A's lists as the superuser sees them, to show that nothing of them changed. */
const listsAsSuperuser = (owner: string) =>
  server.db.query('SELECT * FROM lists WHERE owner_id = $1 ORDER BY id', [owner]);

const ids = (rows: { id: number | string }[]) =>
  rows.map((r) => Number(r.id)).sort((x, y) => x - y);

describe('row-level security on lists', () => {
  it('is enabled and FORCED', async () => {
    const rows = await server.db.query(
      "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'lists'",
    );
    expect(rows).toEqual([{ relrowsecurity: true, relforcerowsecurity: true }]);
  });

  it('shows a statement with no WHERE only the lists of the user named by app.user_id', async () => {
    const { a, b, aLists, bLists } = await seed();
    await asApp(async (client) => {
      for (const [user, lists] of [
        [a, aLists],
        [b, bLists],
      ] as const) {
        await asUser(client, user, async () => {
          expect(ids((await client.query('SELECT id FROM lists')).rows)).toEqual(lists);
        });
      }
    });
  });

  it('shows no list at all when app.user_id is unset or empty', async () => {
    await seed();
    await asApp(async (client) => {
      expect((await client.query('SELECT * FROM lists')).rows).toEqual([]);
      await asUser(client, '', async () => {
        expect((await client.query('SELECT * FROM lists')).rows).toEqual([]);
      });
    });
  });

  it("changes and deletes none of another user's lists, as another user or as none", async () => {
    const { a, b, aLists } = await seed();
    const before = await listsAsSuperuser(a);
    await asApp(async (client) => {
      for (const user of [b, null]) {
        await client.query('BEGIN');
        if (user) await client.query("SELECT set_config('app.user_id', $1, true)", [user]);
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

  it('refuses a list made for another user, or handed over to one (42501)', async () => {
    const { a, b, bLists } = await seed();
    await asApp(async (client) => {
      await asUser(client, b, async () => {
        await expect(
          client.query("INSERT INTO lists (owner_id, name) VALUES ($1, 'Planted')", [a]),
        ).rejects.toMatchObject({ code: '42501' });
      });
      await asUser(client, null, async () => {
        await expect(
          client.query("INSERT INTO lists (owner_id, name) VALUES ($1, 'Orphan')", [a]),
        ).rejects.toMatchObject({ code: '42501' });
      });
      await asUser(client, b, async () => {
        const { rowCount } = await client.query(
          "INSERT INTO lists (owner_id, name) VALUES ($1, 'Mine')",
          [b],
        );
        expect(rowCount).toBe(1);
      });
      // Handing one over is refused before the policy is asked: a list keeps its owner.
      await asUser(client, b, async () => {
        await expect(
          client.query('UPDATE lists SET owner_id = $1 WHERE id = $2', [a, bLists[1]]),
        ).rejects.toMatchObject({ code: 'TDI01' });
      });
    });
    expect(await listsAsSuperuser(a)).toHaveLength(2);
  });

  it("lets no task function reach another user's list", async () => {
    const { a, b, aLists } = await seed();
    const [, aList] = aLists;
    const before = await listsAsSuperuser(a);
    await asApp(async (client) => {
      const call = (sql: string, params: unknown[]) => client.query(sql, params);
      expect((await call('SELECT * FROM list_summaries($1, $2)', [b, aList])).rows).toEqual([]);
      expect(
        (
          await call("SELECT * FROM list_update($1, $2, NULL, true, 'Taken', false, NULL)", [
            b,
            aList,
          ])
        ).rows,
      ).toEqual([]);
      expect((await call('SELECT * FROM list_delete($1, $2, NULL)', [b, aList])).rows).toEqual([]);
      await expect(
        call(
          'SELECT * FROM task_create($1, $2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $3, NULL)',
          [b, 'Planted', aList],
        ),
      ).rejects.toMatchObject({ code: 'TDN02' });
      const bTask = await insertTaskRow(server.db, b);
      await expect(
        call('SELECT * FROM task_move($1, $2, NULL, $3, false, NULL, NULL, NULL)', [
          b,
          bTask.id,
          aList,
        ]),
      ).rejects.toMatchObject({ code: 'TDN02' });
    });
    expect(await listsAsSuperuser(a)).toEqual(before);
  });
});

describe('the Inbox of a new account, made as the application role', () => {
  it('is made with no app.user_id set, which stays unset', async () => {
    await asApp(async (client) => {
      const id = `signed-up-${Date.now()}`;
      await client.query(
        "INSERT INTO users (id, name, email) VALUES ($1, 'New', $1 || '@example.test')",
        [id],
      );
      const setting = await client.query("SELECT current_setting('app.user_id', true) AS v");
      expect(['', null]).toContain(setting.rows[0].v);
      expect((await client.query('SELECT * FROM lists')).rows).toEqual([]);
      expect(await listsAsSuperuser(id)).toMatchObject([{ name: 'Inbox', inbox: true }]);
    });
  });

  it('is made as another user is named, who stays named', async () => {
    const { a } = await seed();
    await asApp(async (client) => {
      await asUser(client, a, async () => {
        const id = `signed-up-${Date.now()}`;
        await client.query(
          "INSERT INTO users (id, name, email) VALUES ($1, 'New', $1 || '@example.test')",
          [id],
        );
        const setting = await client.query("SELECT current_setting('app.user_id', true) AS v");
        expect(setting.rows[0].v).toBe(a);
        const visible = await client.query<{ owner_id: string }>('SELECT owner_id FROM lists');
        expect(new Set(visible.rows.map((r) => r.owner_id))).toEqual(new Set([a]));
      });
    });
  });

  it('goes with the account when the application deletes it, with no app.user_id', async () => {
    const { a } = await seed();
    await asApp((client) => client.query('DELETE FROM users WHERE id = $1', [a]));
    expect(await listsAsSuperuser(a)).toEqual([]);
    const [tasks] = await server.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tasks WHERE user_id = $1',
      [a],
    );
    expect(tasks!.n).toBe(0);
  });
});
