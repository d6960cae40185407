import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertList, insertUser } from '../../test/support/factories.js';
import { createTaskRow, moveTaskRow, taskRowsById } from '../../test/support/task-rows.js';
import {
  adminQuery,
  createAppRole,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  type TestDatabase,
} from '../../test/support/test-database.js';
import type { Database, Queryable, Row } from '../db/database.js';
import type { TaskRow } from '../tasks/repository.js';

// Changes to the tree of one list take turns on the list's row, from task_placement's lock
// to the commit: of two transactions that create or move tasks in the same list at once, the
// second computes its position, depth and ancestry from what the first committed. So they
// never give two siblings one position, never lose a task, and never build a cycle or a
// sixth level between them. Each test holds the first transaction open, waits until the
// second is blocked behind it, then commits, so the interleaving is the same every run;
// bursts through a pool show the same with the scheduler's interleavings.

let server: TestDatabase;
let app: { role: string; url: string };
let pool: Database;

beforeAll(async () => {
  server = await createTestDatabase();
  app = await createAppRole(server);
  pool = openServerDatabase(app.url, 8);
});
afterAll(async () => {
  await pool.close();
  await dropRole(app.role, server);
  await server.drop();
});

/** A connection of its own as the application's role, as a Queryable. */
async function connect(): Promise<Queryable & { client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: app.url });
  client.setTypeParser(20, Number);
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return {
    client,
    pid: rows[0]!.pid,
    async query<R extends Row>(text: string, params?: readonly unknown[]) {
      return (await client.query<R>(text, params as unknown[])).rows;
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

/** Resolves once the backend `pid` waits for a lock that `holder` holds, or `done()`. */
async function blockedBehind(pid: number, holder: number, done: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !done(); attempt++) {
    const { rows } = await adminQuery('SELECT pg_blocking_pids($1) AS pids', [pid]);
    if ((rows[0].pids as number[]).includes(holder)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`backend ${pid} never waited for ${holder}`);
}

/**
 * Runs `first` in a transaction left open, starts `second` on another connection, waits until
 * it is blocked behind the first, commits the first and returns how the second ended.
 */
async function interleave<T>(
  first: (tx: Queryable) => Promise<unknown>,
  second: (db: Queryable) => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  const [holder, waiter] = await Promise.all([connect(), connect()]);
  try {
    await holder.exec('BEGIN');
    await first(holder);
    let settled = false;
    const outcome = second(waiter)
      .then(
        (value): PromiseFulfilledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason }),
      )
      .finally(() => {
        settled = true;
      });
    // Without a wait, the second ran on what it saw before the first committed.
    await blockedBehind(waiter.pid, holder.pid, () => settled);
    await holder.exec('COMMIT');
    return await outcome;
  } finally {
    await Promise.all([holder.client.end(), waiter.client.end()]);
  }
}

/** The value of a settled promise, failing with its reason when it was rejected. */
function fulfilled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

const ids = (rows: TaskRow[]) => rows.map((row) => Number(row.id));

/** The tasks under `parent` (the top level when null) of a list, in their manual order. */
async function siblings(listId: number, parent: number | null): Promise<TaskRow[]> {
  return server.db.query<TaskRow>(
    `SELECT * FROM tasks WHERE list_id = $1 AND parent_id IS NOT DISTINCT FROM $2
      ORDER BY position`,
    [listId, parent],
  );
}

/** A user with a list holding `n` top-level tasks, in order. */
async function listWithTasks(n: number): Promise<{ user: string; list: number; tasks: number[] }> {
  const user = await insertUser(server.db);
  const list = await insertList(server.db, user);
  const tasks: number[] = [];
  for (let i = 0; i < n; i++) {
    tasks.push(Number((await createTaskRow(server.db, user, `Task ${i}`, { listId: list })).id));
  }
  return { user, list, tasks };
}

describe('two creates in one list at once', () => {
  it('the second waits for the first and goes after it', async () => {
    const { user, list } = await listWithTasks(1);
    let first: TaskRow | undefined;
    const second = fulfilled(
      await interleave(
        async (tx) => {
          first = await createTaskRow(tx, user, 'First', { listId: list });
        },
        (db) => createTaskRow(db, user, 'Second', { listId: list }),
      ),
    );
    expect(second.position > first!.position).toBe(true);
    expect(ids(await siblings(list, null)).slice(-2)).toEqual([first!.id, second.id].map(Number));
  });

  it('the same for two subtasks of one parent', async () => {
    const { user, list, tasks } = await listWithTasks(1);
    const parentId = tasks[0]!;
    let first: TaskRow | undefined;
    const second = fulfilled(
      await interleave(
        async (tx) => {
          first = await createTaskRow(tx, user, 'First', { parentId });
        },
        (db) => createTaskRow(db, user, 'Second', { parentId }),
      ),
    );
    expect(ids(await siblings(list, parentId))).toEqual([first!.id, second.id].map(Number));
  });

  it('a burst of creates through a pool: every task, each at its own position', async () => {
    const { user, list, tasks } = await listWithTasks(1);
    const parentId = tasks[0]!;
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        createTaskRow(pool, user, `Burst ${i}`, i % 2 === 0 ? { listId: list } : { parentId }),
      ),
    );
    const top = await siblings(list, null);
    const under = await siblings(list, parentId);
    expect(top).toHaveLength(21);
    expect(under).toHaveLength(20);
    expect(new Set(top.map((t) => t.position)).size).toBe(21);
    expect(new Set(under.map((t) => t.position)).size).toBe(20);
    expect(new Set([...ids(top), ...ids(under)])).toEqual(new Set([...tasks, ...ids(created)]));
  });
});

describe('two moves into the same gap at once', () => {
  it('the second goes between the first and the sibling it was asked to precede', async () => {
    const { user, list, tasks } = await listWithTasks(5);
    const [a, b, c, d, e] = tasks as [number, number, number, number, number];
    const second = await interleave(
      (tx) => moveTaskRow(tx, user, d, { beforeId: b }),
      (db) => moveTaskRow(db, user, e, { beforeId: b }),
    );
    fulfilled(second);
    expect(ids(await siblings(list, null))).toEqual([a, d, e, b, c]);
  });

  it('a burst of moves before one task: every task, in the gap, each at its own position', async () => {
    const { user, list, tasks } = await listWithTasks(10);
    const [first, target, ...movers] = tasks as [number, number, ...number[]];
    await Promise.all(movers.map((id) => moveTaskRow(pool, user, id, { beforeId: target })));
    const order = ids(await siblings(list, null));
    expect(order).toHaveLength(10);
    expect(order[0]).toBe(first);
    expect(order[9]).toBe(target);
    expect(new Set(order.slice(1, 9))).toEqual(new Set(movers));
  });
});

/**
 * x and z at the top, w under x and y under z: x under y and z under w close the loop
 * x, y, z, w, and neither of those moves writes or references a row the other does.
 */
async function twoPairs() {
  const { user, tasks } = await listWithTasks(2);
  const [x, z] = tasks as [number, number];
  const w = Number((await createTaskRow(server.db, user, 'w', { parentId: x })).id);
  const y = Number((await createTaskRow(server.db, user, 'y', { parentId: z })).id);
  return { user, x, y, z, w };
}

describe('two moves that together would build a cycle', () => {
  it('the second is refused (TDC01) once the first has committed', async () => {
    const { user, tasks } = await listWithTasks(2);
    const [a, b] = tasks as [number, number];
    const second = await interleave(
      (tx) => moveTaskRow(tx, user, a, { parentId: b }),
      (db) => moveTaskRow(db, user, b, { parentId: a }),
    );
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'TDC01' } });
    const rows = await taskRowsById(server.db, user);
    expect([rows.get(a)!.parent_id, rows.get(b)!.parent_id].map((p) => p && Number(p))).toEqual([
      b,
      null,
    ]);
  });

  it('the same when the two moves lock no row of each other', async () => {
    const { user, x, y, z, w } = await twoPairs();
    const second = await interleave(
      (tx) => moveTaskRow(tx, user, x, { parentId: y }),
      (db) => moveTaskRow(db, user, z, { parentId: w }),
    );
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'TDC01' } });
    expect((await taskRowsById(server.db, user)).get(z)!.parent_id).toBeNull();
  });

  it('raced through two connections, exactly one of them succeeds', async () => {
    for (let round = 0; round < 10; round++) {
      const { user, x, y, z, w } = await twoPairs();
      const outcomes = await Promise.allSettled([
        moveTaskRow(pool, user, x, { parentId: y }),
        moveTaskRow(pool, user, z, { parentId: w }),
      ]);
      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(
        outcomes.filter((o) => o.status === 'fulfilled'),
        `round ${round}`,
      ).toHaveLength(1);
      expect(refused, `round ${round}`).toMatchObject([{ reason: { code: 'TDC01' } }]);
      const parents = [...(await taskRowsById(server.db, user)).values()].map((t) => t.parent_id);
      expect(
        parents.filter((p) => p === null),
        'x or z is still at the top',
      ).toHaveLength(1);
    }
  });
});

describe('two changes that together would reach a sixth level', () => {
  it('the second is refused (TDD01) once the first has committed', async () => {
    const { user, list, tasks } = await listWithTasks(2);
    const [top, subtree] = tasks as [number, number];
    const second = Number((await createTaskRow(server.db, user, 'Level 2', { parentId: top })).id);
    const third = Number(
      (await createTaskRow(server.db, user, 'Level 3', { parentId: second })).id,
    );
    const leaf = Number((await createTaskRow(server.db, user, 'Below', { parentId: subtree })).id);
    // Alone, each is fine: the subtree under the third level reaches the fifth, and a task
    // under its leaf is at the third.
    const outcome = await interleave(
      (tx) => moveTaskRow(tx, user, subtree, { parentId: third }),
      (db) => createTaskRow(db, user, 'Too deep', { parentId: leaf }),
    );
    expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'TDD01' } });
    expect(await siblings(list, leaf)).toEqual([]);
  });
});

describe('a place named by a task that another transaction moves meanwhile', () => {
  // The parent or the sibling a create or a move names is where it stands once the other
  // transaction has committed, not where it stood when this one began.
  it('a subtask made under a task whose root moves to another list goes to that list', async () => {
    const { user, tasks } = await listWithTasks(1);
    const other = await insertList(server.db, user);
    const root = tasks[0]!;
    const parentId = Number((await createTaskRow(server.db, user, 'Child', { parentId: root })).id);
    const outcome = await interleave(
      (tx) => moveTaskRow(tx, user, root, { listId: other }),
      (db) => createTaskRow(db, user, 'Grandchild', { parentId }),
    );
    expect(outcome).toMatchObject({
      status: 'fulfilled',
      value: { list_id: other, parent_id: parentId },
    });
  });

  it('a task moved before a sibling that moves under another parent goes with it', async () => {
    const { user, list, tasks } = await listWithTasks(3);
    const [a, b, c] = tasks as [number, number, number];
    const outcome = await interleave(
      (tx) => moveTaskRow(tx, user, b, { parentId: a }),
      (db) => moveTaskRow(db, user, c, { beforeId: b }),
    );
    fulfilled(outcome);
    expect(ids(await siblings(list, a))).toEqual([c, b]);
  });

  it('a task moved before a sibling that moves to another list goes with it', async () => {
    const { user, tasks } = await listWithTasks(3);
    const other = await insertList(server.db, user);
    const [, b, c] = tasks as [number, number, number];
    const outcome = await interleave(
      (tx) => moveTaskRow(tx, user, b, { listId: other }),
      (db) => moveTaskRow(db, user, c, { beforeId: b }),
    );
    fulfilled(outcome);
    expect(ids(await siblings(other, null))).toEqual([c, b]);
  });
});
