import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf, insertList, insertUser, taskFields } from '../../test/support/factories.js';
import {
  createAppRole,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  type TestDatabase,
} from '../../test/support/test-database.js';
import type { Database, Queryable } from '../db/database.js';
import { statementOf } from '../db/function-call.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { type ListQuery, listArguments, type SortKey, type SortOrder } from './list-query.js';
import { TaskRepository } from './repository.js';
import type { Task, TaskFields } from './task.js';

// The list query's keyset order is served by tasks_user_created_idx, so a
// page of 20 reads 21 rows of one user's index range and sorts nothing; keyset pages have no
// duplicates and no gaps while rows are inserted and deleted between them. What a page reads
// is counted by PostgreSQL's own statistics around the repository's very call, as the
// application's role.

const page = (overrides: Partial<ListQuery> = {}): ListQuery => ({
  limit: 20,
  sort: 'created_at',
  order: 'desc',
  filters: {},
  ...overrides,
});

let server: TestDatabase;
let app: { role: string; url: string };
let appDb: Database;
let tasks: TaskRepository;

beforeAll(async () => {
  server = await createTestDatabase();
  app = await createAppRole(server);
  appDb = openServerDatabase(app.url);
  tasks = new TaskRepository(appDb);
});
afterAll(async () => {
  await appDb?.close();
  await dropRole(app.role, server);
  await server.drop();
});

interface Reads {
  /** Index scans and index entries read, by index name. */
  indexes: Record<string, { scans: number; entries: number }>;
  /** Sequential scans of tasks. */
  seqScans: number;
}

/**
 * Runs `work` in one transaction and returns which indexes of tasks it read and how many
 * entries, from the backend's own statistics (read before and after: counts of earlier
 * transactions may not have been flushed yet). With `rollBack`, the transaction then rolls
 * back, so that what `work` wrote is gone.
 */
async function readsOf(
  work: (tx: Queryable) => Promise<void>,
  options: { rollBack?: boolean } = {},
): Promise<Reads> {
  let read: Reads | undefined;
  const rolledBack = new Error('rolled back on purpose');
  await appDb
    .transaction(async (tx) => {
      const counters = async () => {
        const indexes = await tx.query<{ name: string; scans: number; entries: number }>(
          `SELECT indexrelid::regclass::text AS name,
                  pg_stat_get_xact_numscans(indexrelid)::int AS scans,
                  pg_stat_get_xact_tuples_returned(indexrelid)::int AS entries
             FROM pg_index WHERE indrelid = 'tasks'::regclass`,
        );
        const [table] = await tx.query<{ seq_scans: number }>(
          "SELECT pg_stat_get_xact_numscans('tasks'::regclass)::int AS seq_scans",
        );
        return { indexes, seqScans: table!.seq_scans };
      };
      const before = await counters();
      await work(tx);
      const after = await counters();
      const indexes: Reads['indexes'] = {};
      for (const index of after.indexes) {
        const earlier = before.indexes.find((i) => i.name === index.name)!;
        const scans = index.scans - earlier.scans;
        if (scans > 0) indexes[index.name] = { scans, entries: index.entries - earlier.entries };
      }
      read = { indexes, seqScans: after.seqScans - before.seqScans };
      if (options.rollBack) throw rolledBack;
    })
    .catch((error: unknown) => {
      if (error !== rolledBack) throw error;
    });
  return read!;
}

/**
 * Runs the repository's list statement `times` times in one transaction (past the five
 * custom plans after which PostgreSQL may switch to a cached generic plan): what it read.
 */
const reads = (userId: string, query: ListQuery, times = 1): Promise<Reads> =>
  readsOf(async (tx) => {
    for (let i = 0; i < times; i++) {
      const args = listArguments(userId, query);
      await tx.query(statementOf('task_list', args.length), args);
    }
  });

/**
 * Eight creates at the end of `list` (past the custom plans), with the database's own create
 * and a cap on the owner's tasks (above the 100 000 of the list below), each read one entry of
 * tasks_top_level_position_key: the last position, not the list's entries nor the owner's
 * (the cap reads the owner's count, not their tasks). Rolled back and vacuumed, so that the
 * other tests meet neither the rows nor their dead index entries.
 */
async function expectCreatesReadOnePositionEach(userId: string, list: number): Promise<void> {
  const read = await readsOf(
    async (tx) => {
      for (let i = 0; i < 8; i++) {
        const args = [
          userId,
          `New ${i}`,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          1_000_000,
          list,
          null,
          null,
          null,
          null,
          null,
        ];
        await tx.query(statementOf('task_create', args.length), args);
      }
    },
    { rollBack: true },
  );
  await server.db.exec('VACUUM (INDEX_CLEANUP ON) tasks');
  expect(read.seqScans).toBe(0);
  expect(read.indexes).toEqual({ tasks_top_level_position_key: { scans: 8, entries: 8 } });
}

describe('the list query on a table of many users', () => {
  const users = 200;
  const perUser = 100;
  const user = 'bulk-user-77';

  beforeAll(async () => {
    await server.db.query(
      `INSERT INTO users (id, name, email)
       SELECT 'bulk-user-' || u, 'User ' || u, 'bulk-user-' || u || '@example.test'
         FROM generate_series(1, $1::int) u`,
      [users],
    );
    // Every fifth task is tagged x, every tenth x and y.
    await server.db.query(
      `INSERT INTO tasks (user_id, title, position, tags)
       SELECT 'bulk-user-' || u, 'Task ' || t, position_key(t),
              CASE WHEN t % 10 = 0 THEN ARRAY['x', 'y'] WHEN t % 5 = 0 THEN ARRAY['x']
                   ELSE '{}'::text[] END
         FROM generate_series(1, $1::int) u, generate_series(1, $2::int) t`,
      [users, perUser],
    );
    await server.db.exec('ANALYZE tasks');
  });

  /** The ids the list must return, straight from the table (as the superuser). */
  const expectedIds = async (condition = 'true', limit = 20) =>
    (
      await server.db.query<{ id: number }>(
        `SELECT id FROM tasks WHERE user_id = $1 AND ${condition}
          ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
        [user],
      )
    ).map((r) => r.id);

  /** Each call scanned tasks_user_created_idx once, reading at most one page and one row. */
  const expectKeysetScans = (read: Reads, calls: number) => {
    expect(read.seqScans).toBe(0);
    expect(Object.keys(read.indexes)).toEqual(['tasks_user_created_idx']);
    const scan = read.indexes.tasks_user_created_idx!;
    expect(scan.scans).toBe(calls);
    expect(scan.entries).toBeLessThanOrEqual(21 * calls);
  };

  it('places a new task at the end of a list by reading one position entry, not the owner’s', async () => {
    // Row-level security adds "the caller's rows" to the list's; unless the planner knows
    // that a list's rows are all its owner's, it expects none and merges both ranges.
    await expectCreatesReadOnePositionEach(user, await inboxOf(server.db, user));
  });

  it('reads the first page of 20 from tasks_user_created_idx: at most 21 entries', async () => {
    expectKeysetScans(await reads(user, page()), 1);
    expectKeysetScans(await reads(user, page(), 8), 8);
    const first = await tasks.list(user, page());
    expect(first.tasks.map((t) => t.id)).toEqual(await expectedIds());
    expect(first.next).toBeDefined();
  });

  it('reads the next page the same way: the cursor bounds the index scan', async () => {
    const first = await tasks.list(user, page());
    const second = page({ after: first.next! });
    expectKeysetScans(await reads(user, second), 1);
    expectKeysetScans(await reads(user, second, 8), 8);
    const next = await tasks.list(user, second);
    expect(next.tasks.map((t) => t.id)).toEqual((await expectedIds('true', 40)).slice(20));
  });

  it('reads other sorts and filters from an index too, never the whole table', async () => {
    for (const query of [
      page({ order: 'asc' }),
      page({ filters: { status: 'pending' } }),
      page({ sort: 'title', order: 'asc' }),
    ]) {
      const read = await reads(user, query);
      expect(read.seqScans, JSON.stringify(query)).toBe(0);
      expect(Object.keys(read.indexes).length, JSON.stringify(query)).toBeGreaterThan(0);
    }
  });

  it('filters by tags correctly, whichever index the planner picks', async () => {
    const tagged = page({ filters: { tags: ['x'] } });
    const x = await tasks.list(user, tagged);
    expect(x.tasks.map((t) => t.id)).toEqual(await expectedIds("tags @> '{x}'"));
    expect(x.tasks).toHaveLength(perUser / 5);
    expect(x.next, 'exactly one page').toBeUndefined();

    const both = page({ filters: { tags: ['y', 'x'] } });
    const xy = await tasks.list(user, both);
    expect(xy.tasks.map((t) => t.id)).toEqual(await expectedIds("tags @> '{x,y}'"));
    expect(xy.tasks.every((t) => t.tags.includes('x') && t.tags.includes('y'))).toBe(true);
  });
});

describe('keyset pages while tasks are inserted and deleted between them', () => {
  const original = 250;

  /** 250 tasks inserted at once: equal created_at, titles and due dates with ties, some undated. */
  async function userWithTasks(): Promise<{ user: string; ids: number[] }> {
    const user = await insertUser(server.db);
    const rows = await server.db.query<{ id: number }>(
      `INSERT INTO tasks (user_id, title, position, due_date)
       SELECT $1, 'Task ' || lpad((g % 37)::text, 2, '0'), position_key(g),
              CASE WHEN g % 4 = 0 THEN NULL
                   ELSE timestamptz '2030-01-01T00:00:00Z' + (g % 30) * interval '1 day' END
         FROM generate_series(1, $2::int) g
       RETURNING id`,
      [user, original],
    );
    return { user, ids: rows.map((r) => r.id) };
  }

  /** New tasks spread over the whole order: before, at and after any cursor. */
  const newFields = (n: number, k: number): TaskFields =>
    taskFields({
      title: `Task ${String((n * 11 + k * 17) % 40).padStart(2, '0')}`,
      dueDate: (n + k) % 3 === 0 ? null : new Date(Date.UTC(2030, 0, 1 + ((n * 7 + k * 5) % 32))),
    });

  /** Where a task sits in the listing order: (sort key, id), undated tasks last. */
  const comesBefore = (sort: SortKey, order: SortOrder) => (a: Task, b: Task) => {
    const key = (t: Task) =>
      sort === 'title'
        ? t.title
        : sort === 'due_date'
          ? (t.dueDate?.getTime() ?? null)
          : t.createdAt.getTime();
    const [ka, kb] = [key(a), key(b)];
    if (ka === kb) return order === 'asc' ? a.id < b.id : a.id > b.id;
    if (ka === null) return false;
    if (kb === null) return true;
    return order === 'asc' ? ka < kb : ka > kb;
  };

  /**
   * Walks every page of the user's list; between two pages, inserts 3 tasks, deletes one task
   * already listed and one original task not reached yet. The pages must then hold exactly
   * the original tasks not deleted before they were reached, plus the new tasks that were
   * inserted after the cursor's position, each once and in order.
   */
  async function walk(sort: SortKey, order: SortOrder): Promise<void> {
    const { user, ids } = await userWithTasks();
    const precedes = comesBefore(sort, order);
    const seen: Task[] = [];
    const ahead = new Set<number>(); // inserted after the cursor: must be listed
    const behind = new Set<number>(); // inserted before the cursor: must not be
    const deletedUnseen = new Set<number>();
    let query = page({ sort, order });
    let finished = false;
    for (let n = 0; n < 100 && !finished; n++) {
      const { tasks: rows, next } = await tasks.list(user, query);
      seen.push(...rows);
      if (!next) {
        finished = true;
        break;
      }
      expect(rows).toHaveLength(20);
      // The client holds only the opaque cursor.
      query = { ...query, after: decodeCursor(encodeCursor(query, next), query) };
      const cursorRow = rows.at(-1)!;

      for (let k = 0; k < 3; k++) {
        const task = await tasks.create(user, newFields(n, k));
        (precedes(cursorRow, task) ? ahead : behind).add(task.id);
      }
      // A task already listed is gone; every other time, the very row the cursor names: the
      // next page starts after it all the same.
      expect(await tasks.delete(user, n % 2 === 0 ? cursorRow.id : rows[0]!.id)).toBe(true);
      // An original task not reached yet is gone: it must never be listed.
      const seenIds = new Set(seen.map((t) => t.id));
      const unseen = ids.filter((id) => !seenIds.has(id) && !deletedUnseen.has(id));
      const victim = unseen[(n * 7) % unseen.length]!;
      expect(await tasks.delete(user, victim)).toBe(true);
      deletedUnseen.add(victim);
    }
    expect(finished, 'the walk reaches the last page').toBe(true);

    const seenIds = seen.map((t) => t.id);
    expect(new Set(seenIds).size, 'no task is listed twice').toBe(seenIds.length);
    for (let i = 1; i < seen.length; i++) {
      expect(precedes(seen[i - 1]!, seen[i]!), `in order at ${i}`).toBe(true);
    }
    const numeric = (a: number, b: number) => a - b;
    const expected = [...ids.filter((id) => !deletedUnseen.has(id)), ...ahead].sort(numeric);
    expect([...seenIds].sort(numeric)).toEqual(expected);
    expect(deletedUnseen.size).toBeGreaterThan(5);
    if (sort === 'created_at') expect(ahead.size, 'new tasks are newer than any cursor').toBe(0);
    else expect(ahead.size * behind.size, 'new tasks landed on both sides').toBeGreaterThan(0);
  }

  it('newest first (created_at desc): the original tasks, none of the newer ones', async () => {
    await walk('created_at', 'desc');
  });

  it('by title (asc)', async () => {
    await walk('title', 'asc');
  });

  it('by due date, undated last (asc and desc)', async () => {
    await walk('due_date', 'asc');
    await walk('due_date', 'desc');
  });
});

describe('the list query on one list of 100 000 tasks', () => {
  // A list's page, newest first, is one range of tasks_list_created_idx, subtasks (30 under
  // each of the list's first 50 tasks) and all; its manual order at the top level, or under
  // one task, one range of tasks_top_level_position_key or tasks_subtask_position_key.
  let user: string;
  let list: number;

  beforeAll(async () => {
    user = await insertUser(server.db);
    list = await insertList(server.db, user);
    await server.db.query(
      `INSERT INTO tasks (user_id, title, list_id, position)
       SELECT $1, 'Task ' || g, $2, position_key(g) FROM generate_series(1, 100000) g`,
      [user, list],
    );
    await server.db.query(
      `INSERT INTO tasks (user_id, title, list_id, parent_id, position)
       SELECT $1, 'Subtask ' || s, $2, t.id, position_key(s)
         FROM (SELECT id FROM tasks WHERE list_id = $2 ORDER BY position LIMIT 50) t,
              generate_series(1, 30) s`,
      [user, list],
    );
    // The first task has 2000 subtasks: more than a page, so its page is a range too.
    await server.db.query(
      `INSERT INTO tasks (user_id, title, list_id, parent_id, position)
       SELECT $1, 'Subtask ' || s, $2, t.id, position_key(s)
         FROM (SELECT id FROM tasks WHERE list_id = $2 ORDER BY position LIMIT 1) t,
              generate_series(31, 2030) s`,
      [user, list],
    );
    // Each subtask counted on its parent left a dead row version behind: vacuum, as
    // autovacuum would, so that the counts below are of live entries.
    await server.db.exec('VACUUM ANALYZE tasks');
  }, 180_000);

  /** The ids a page must hold, straight from the table (as the superuser). */
  const expectedIds = async (condition: string, order: string, limit = 20) =>
    (
      await server.db.query<{ id: number }>(
        `SELECT id FROM tasks WHERE list_id = $1 AND ${condition} ORDER BY ${order} LIMIT ${limit}`,
        [list],
      )
    ).map((r) => r.id);

  /** Each call scanned `index` once, reading at most one page and one row of it. */
  const expectRangeScans = (read: Reads, index: string, calls: number) => {
    expect(read.seqScans).toBe(0);
    expect(Object.keys(read.indexes)).toEqual([index]);
    expect(read.indexes[index]!.scans).toBe(calls);
    expect(read.indexes[index]!.entries).toBeLessThanOrEqual(21 * calls);
  };

  it('reads a page newest first from tasks_list_created_idx: at most 21 entries', async () => {
    const query = page({ filters: { listId: list } });
    expectRangeScans(await reads(user, query), 'tasks_list_created_idx', 1);
    expectRangeScans(await reads(user, query, 8), 'tasks_list_created_idx', 8);
    const first = await tasks.list(user, query);
    const order = 'created_at DESC, id DESC';
    expect(first.tasks.map((t) => t.id)).toEqual(await expectedIds('true', order));

    const second = page({ filters: { listId: list }, after: first.next! });
    expectRangeScans(await reads(user, second, 8), 'tasks_list_created_idx', 8);
    const next = await tasks.list(user, second);
    expect(next.tasks.map((t) => t.id)).toEqual((await expectedIds('true', order, 40)).slice(20));
  });

  it('reads a page of the top level in manual order from tasks_top_level_position_key', async () => {
    const query = page({
      sort: 'position',
      order: 'asc',
      filters: { listId: list, parentId: 'none' },
    });
    expectRangeScans(await reads(user, query), 'tasks_top_level_position_key', 1);
    expectRangeScans(await reads(user, query, 8), 'tasks_top_level_position_key', 8);
    const first = await tasks.list(user, query);
    const condition = 'parent_id IS NULL';
    expect(first.tasks.map((t) => t.id)).toEqual(await expectedIds(condition, 'position'));

    const second = { ...query, after: first.next! };
    expectRangeScans(await reads(user, second, 8), 'tasks_top_level_position_key', 8);
    const next = await tasks.list(user, second);
    expect(next.tasks.map((t) => t.id)).toEqual(
      (await expectedIds(condition, 'position', 40)).slice(20),
    );
  });

  it('places a new task at the end of a list of 100 000 by reading one position entry', async () => {
    await expectCreatesReadOnePositionEach(user, list);
    const [last] = await expectedIds('parent_id IS NULL', 'position DESC', 1);
    expect((await tasks.get(user, last!))?.title).toBe('Task 100000');
  });

  it('reads a page of one task’s subtasks in manual order from tasks_subtask_position_key', async () => {
    const [parent] = await expectedIds('parent_id IS NULL', 'position', 1);
    const query = page({
      sort: 'position',
      order: 'asc',
      filters: { listId: list, parentId: parent! },
    });
    expectRangeScans(await reads(user, query), 'tasks_subtask_position_key', 1);
    const first = await tasks.list(user, query);
    expect(first.tasks.map((t) => t.id)).toEqual(
      await expectedIds(`parent_id = ${parent}`, 'position'),
    );
  });
});

describe('the list query of a user with 50 lists', () => {
  // Without a list, a page reads the user's own range of tasks_user_created_idx: at most 21
  // entries in all, however many lists the tasks are spread over.
  const lists = 50;
  let user: string;

  beforeAll(async () => {
    user = await insertUser(server.db);
    for (let i = 0; i < lists; i++) await insertList(server.db, user, { name: `List ${i}` });
    await server.db.query(
      `INSERT INTO tasks (user_id, title, list_id, position)
       SELECT $1, 'Task ' || g, l.id, position_key(g)
         FROM lists l, generate_series(1, 200) g WHERE l.owner_id = $1 AND NOT l.inbox`,
      [user],
    );
    await server.db.exec('ANALYZE tasks');
  });

  it('reads an unfiltered page from tasks_user_created_idx: at most 21 entries in all', async () => {
    const read = await reads(user, page(), 8);
    expect(read.seqScans).toBe(0);
    expect(Object.keys(read.indexes)).toEqual(['tasks_user_created_idx']);
    expect(read.indexes.tasks_user_created_idx!.entries).toBeLessThanOrEqual(21 * 8);
    const first = await tasks.list(user, page());
    const ids = await server.db.query<{ id: number }>(
      'SELECT id FROM tasks WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20',
      [user],
    );
    expect(first.tasks.map((t) => t.id)).toEqual(ids.map((r) => r.id));
  });
});

describe('the list query of a member of three lists of others', () => {
  // Without a list, a page is the member's own range of tasks_user_created_idx merged with one
  // range of tasks_list_created_idx per shared list: at most 21 entries each, however large
  // the lists. A shared list's own page is one range of 21, as an own list's is.
  let member: string;
  const shared: number[] = [];

  beforeAll(async () => {
    member = await insertUser(server.db);
    await server.db.query(
      `INSERT INTO tasks (user_id, title, position)
       SELECT $1, 'Own ' || g, position_key(g) FROM generate_series(1, 500) g`,
      [member],
    );
    for (const role of ['viewer', 'editor', 'editor']) {
      const owner = await insertUser(server.db);
      const list = await insertList(server.db, owner);
      await server.db.query(
        `INSERT INTO tasks (user_id, title, list_id, position)
         SELECT $1, 'Shared ' || g, $2, position_key(g) FROM generate_series(1, 2000) g`,
        [owner, list],
      );
      await server.db.query(
        'INSERT INTO list_members (list_id, user_id, role) VALUES ($1, $2, $3)',
        [list, member, role],
      );
      shared.push(list);
    }
    await server.db.exec('VACUUM ANALYZE tasks');
    await server.db.exec('ANALYZE list_members');
  }, 120_000);

  /** What the member can read, newest first, straight from the table (as the superuser). */
  const expectedIds = async (limit = 20) =>
    (
      await server.db.query<{ id: number }>(
        `SELECT id FROM tasks WHERE user_id = $1 OR list_id = ANY ($2)
          ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
        [member, shared],
      )
    ).map((r) => r.id);

  /** Each call read one range of the member's own index and one of each shared list's. */
  const expectMergedRanges = (read: Reads, calls: number) => {
    expect(read.seqScans).toBe(0);
    expect(Object.keys(read.indexes).sort()).toEqual([
      'tasks_list_created_idx',
      'tasks_user_created_idx',
    ]);
    expect(read.indexes.tasks_user_created_idx!.scans).toBe(calls);
    expect(read.indexes.tasks_user_created_idx!.entries).toBeLessThanOrEqual(21 * calls);
    expect(read.indexes.tasks_list_created_idx!.scans).toBe(shared.length * calls);
    expect(read.indexes.tasks_list_created_idx!.entries).toBeLessThanOrEqual(
      21 * shared.length * calls,
    );
  };

  it('reads at most 21 entries of each readable list for a page of everything', async () => {
    expectMergedRanges(await reads(member, page()), 1);
    expectMergedRanges(await reads(member, page(), 8), 8);
    const first = await tasks.list(member, page());
    expect(first.tasks.map((t) => t.id)).toEqual(await expectedIds());
    const second = page({ after: first.next! });
    expectMergedRanges(await reads(member, second, 8), 8);
    const next = await tasks.list(member, second);
    expect(next.tasks.map((t) => t.id)).toEqual((await expectedIds(40)).slice(20));
  });

  it('reads at most 21 entries of tasks_list_created_idx for a page of one shared list', async () => {
    const query = page({ filters: { listId: shared[1]! } });
    for (const times of [1, 8]) {
      const read = await reads(member, query, times);
      expect(read.seqScans).toBe(0);
      expect(Object.keys(read.indexes)).toEqual(['tasks_list_created_idx']);
      expect(read.indexes.tasks_list_created_idx!.entries).toBeLessThanOrEqual(21 * times);
    }
    const first = await tasks.list(member, query);
    expect(first.tasks).toHaveLength(20);
    expect(new Set(first.tasks.map((t) => t.listId))).toEqual(new Set([shared[1]]));
  });
});
