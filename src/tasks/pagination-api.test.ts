import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import { type SortKey, type SortOrder, sortKeys } from './list-query.js';
import { priorities } from './task.js';
import type { TaskJson } from './task-json.js';

// Keyset pagination over HTTP. A stable total order (sort key, then id), tasks
// with no due date last in both orders, no duplicates or gaps while tasks are created and
// deleted between pages, Link rel="next" + X-Next-Cursor on every page but the last, a
// cursor refused (400) under another sort, order or filter set, and `limit` free to change
// between pages.

const SEEDED = 250;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

/** A small deterministic generator, so a failure replays exactly. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

/**
 * 250 tasks in one statement: the insert trigger stamps them all with the same created_at
 * and updated_at (now(), to the millisecond), so only the id tells them apart in the time
 * sorts. Titles repeat (and mix cases and accents), due dates repeat, every sixth has none.
 */
async function seedTasks(user: TestUser): Promise<number[]> {
  const rows = await api.database.db.query<{ id: number | string }>(
    `INSERT INTO tasks (user_id, position, title, priority, tags, due_date, status)
     SELECT $1, position_key(g),
            (ARRAY['alpha', 'Beta', 'gamma', 'Delta', 'épée', 'zeta 10', 'zeta 9'])[1 + g % 7]
              || CASE WHEN g % 3 = 0 THEN '' ELSE ' ' || (g % 11) END,
            g % 4,
            ARRAY['seed', 'g' || (g % 5)],
            CASE WHEN g % 6 = 0 THEN NULL
                 ELSE timestamptz '2031-03-01T00:00:00Z' + ((g * 7) % 23) * interval '1 day' END,
            (ARRAY['pending', 'in_progress', 'completed'])[1 + g % 3]
       FROM generate_series(1, ${SEEDED}) AS g
     RETURNING id`,
    [user.id],
  );
  const stamps = await api.database.db.query<{ n: number | string }>(
    'SELECT count(DISTINCT created_at) AS n FROM tasks WHERE user_id = $1',
    [user.id],
  );
  expect(Number(stamps[0]!.n)).toBe(1);
  return rows.map((row) => Number(row.id));
}

interface Page {
  status: number;
  tasks: TaskJson[];
  /** The path of the next page, from Link rel="next". */
  next: string | undefined;
  cursor: string | undefined;
}

async function inboxOf(user: TestUser): Promise<number> {
  const [inbox] = await api.database.db.query<{ id: string }>(
    'SELECT id FROM lists WHERE owner_id = $1 AND inbox',
    [user.id],
  );
  return Number(inbox!.id);
}

async function getPage(user: TestUser, path: string): Promise<Page> {
  const response = await api.json('GET', path, user);
  const status = response.status;
  const link = response.headers.get('link');
  const cursor = response.headers.get('x-next-cursor') ?? undefined;
  const body = (await response.json()) as unknown;
  if (status !== 200) return { status, tasks: [], next: undefined, cursor };
  expect(Array.isArray(body)).toBe(true);
  let next: string | undefined;
  if (link !== null) {
    const match = /^<([^>]+)>;\s*rel="next"$/.exec(link);
    expect(match, `Link header ${link}`).not.toBeNull();
    next = match![1]!;
    // The Link carries the same cursor as X-Next-Cursor.
    expect(new URL(next, BASE_URL).searchParams.get('cursor')).toBe(cursor);
  } else {
    expect(cursor).toBeUndefined();
  }
  return { status, tasks: body as TaskJson[], next, cursor };
}

/** The next page's path with another page size (the spec lets it change between pages). */
function withLimit(path: string, limit: number): string {
  const url = new URL(path, BASE_URL);
  url.searchParams.set('limit', String(limit));
  return `${url.pathname}${url.search}`;
}

async function problemCode(response: Response): Promise<string> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as { code: string; status: number };
  expect(body.status).toBe(response.status);
  return body.code;
}

const titlePool = ['alpha', 'Beta 3', 'gamma 1', 'Delta', 'épée 7', 'zeta 10', 'Zulu', 'aardvark'];

/** Creates a task with random fields through the API; returns its id. */
async function createRandomTask(user: TestUser, next: (n: number) => number): Promise<number> {
  const day = 1 + next(30);
  const task = await buildTask(api, user, {
    title: titlePool[next(titlePool.length)],
    priority: priorities[next(priorities.length)],
    due_date:
      next(4) === 0 ? null : `2031-03-${String(Math.min(day, 28)).padStart(2, '0')}T00:00:00Z`,
    tags: ['fresh'],
  });
  return task.id;
}

/** Ranks titles the way the database orders them (its collation, not JavaScript's). */
async function titleRanks(titles: string[]): Promise<Map<string, number>> {
  const rows = await api.database.db.query<{ t: string }>(
    'SELECT t FROM unnest($1::text[]) AS t GROUP BY t ORDER BY t',
    [titles],
  );
  return new Map(rows.map((row, index) => [row.t, index]));
}

/** Compares the sort keys only, ascending; undefined when either due date is missing. */
function compareKeys(
  a: TaskJson,
  b: TaskJson,
  sort: SortKey,
  ranks: Map<string, number>,
): number | undefined {
  switch (sort) {
    case 'created_at':
      return Date.parse(a.created_at) - Date.parse(b.created_at);
    case 'updated_at':
      return Date.parse(a.updated_at) - Date.parse(b.updated_at);
    case 'due_date':
      if (a.due_date === null || b.due_date === null) return undefined;
      return Date.parse(a.due_date) - Date.parse(b.due_date);
    case 'priority':
      return priorities.indexOf(a.priority) - priorities.indexOf(b.priority);
    case 'title':
      return ranks.get(a.title)! - ranks.get(b.title)!;
    case 'position':
      // Positions compare as byte strings (their characters are ASCII).
      return a.position < b.position ? -1 : a.position > b.position ? 1 : 0;
  }
}

/** True when a comes strictly before b in the order (key, id), no due date last in both orders. */
function precedes(
  a: TaskJson,
  b: TaskJson,
  sort: SortKey,
  order: SortOrder,
  ranks: Map<string, number>,
): boolean {
  const direction = order === 'asc' ? 1 : -1;
  if (sort === 'due_date' && (a.due_date === null) !== (b.due_date === null)) {
    return b.due_date === null;
  }
  const byKey = compareKeys(a, b, sort, ranks) ?? 0;
  if (byKey !== 0) return byKey * direction < 0;
  return (a.id - b.id) * direction < 0;
}

async function expectInOrder(tasks: TaskJson[], sort: SortKey, order: SortOrder): Promise<void> {
  const ranks = await titleRanks(tasks.map((t) => t.title));
  for (let i = 1; i < tasks.length; i++) {
    const [a, b] = [tasks[i - 1]!, tasks[i]!];
    expect(
      precedes(a, b, sort, order, ranks),
      `position ${i}: ${JSON.stringify({ id: a.id, [sort]: a[sort] })} should precede ${JSON.stringify({ id: b.id, [sort]: b[sort] })}`,
    ).toBe(true);
  }
}

const combinations = sortKeys.flatMap((sort) =>
  (['asc', 'desc'] as const).map((order) => ({ sort, order })),
);

describe('walking every page while tasks are created and deleted between pages', () => {
  it.each(combinations)(
    'sort=$sort order=$order: every task once, in order, the last page without a next link',
    async ({ sort, order }) => {
      const user = await buildUser(api);
      const initial = await seedTasks(user);
      const next = random(sortKeys.indexOf(sort) * 2 + (order === 'asc' ? 1 : 2));
      const limits = [17, 40];

      const seen: TaskJson[] = [];
      const deleted = new Set<number>();
      /** Created between pages, each batch awaited before the next page was asked for. */
      const createdBetween = new Set<number>();
      /** Created while a page was being read: may or may not be listed. */
      const createdRacing = new Set<number>();

      // The manual order is a list's: walk the Inbox, where every task is.
      const inList = sort === 'position' ? `&list_id=${await inboxOf(user)}` : '';
      let path: string | undefined =
        `/api/tasks?sort=${sort}&order=${order}&limit=${limits[0]}${inList}`;
      let pageNumber = 0;
      let last: Page | undefined;
      while (path !== undefined) {
        const limit = Number(new URL(path, BASE_URL).searchParams.get('limit'));
        // The first page is read alone; later pages race a create.
        const racing: Promise<number | undefined> =
          pageNumber === 0 ? Promise.resolve(undefined) : createRandomTask(user, next);
        const [page, racedId] = await Promise.all([getPage(user, path), racing]);
        if (racedId !== undefined) createdRacing.add(racedId);
        expect(page.status).toBe(200);
        if (page.next === undefined) {
          expect(page.tasks.length).toBeLessThanOrEqual(limit);
        } else {
          expect(page.tasks).toHaveLength(limit);
        }
        seen.push(...page.tasks);
        last = page;
        pageNumber++;
        expect(pageNumber, 'the walk ends').toBeLessThan(60);
        if (page.next === undefined) break;

        // Between pages: three creates and one delete of a task already listed, all at
        // once. Every other time the deleted task is the last one listed, the very row the
        // cursor points at.
        const candidates = seen.filter((t) => !deleted.has(t.id));
        const victim =
          pageNumber % 2 === 1 ? page.tasks.at(-1)! : candidates[next(candidates.length)]!;
        deleted.add(victim.id);
        const [, ...ids] = await Promise.all([
          api.json('DELETE', `/api/tasks/${victim.id}`, user).then((r) => {
            expect(r.status).toBe(204);
          }),
          createRandomTask(user, next),
          createRandomTask(user, next),
          createRandomTask(user, next),
        ]);
        for (const id of ids) if (id !== undefined) createdBetween.add(id);
        path = withLimit(page.next, limits[pageNumber % 2]!);
      }

      // The walk really did cross pages while the list changed under it.
      expect(pageNumber).toBeGreaterThanOrEqual(7);
      expect(deleted.size).toBe(pageNumber - 1);

      // The last page says there is nothing more, in both headers.
      expect(last?.next).toBeUndefined();
      expect(last?.cursor).toBeUndefined();

      // No task is listed twice.
      const ids = seen.map((t) => t.id);
      expect(new Set(ids).size).toBe(ids.length);

      // Every task that existed at the start and was not deleted is listed exactly once
      // (the deleted ones were all listed before they were deleted).
      const listed = new Set(ids);
      const missing = initial.filter((id) => !listed.has(id));
      expect(missing).toEqual([]);

      // Nothing but the caller's own tasks.
      const known = new Set([...initial, ...createdBetween, ...createdRacing]);
      expect(ids.filter((id) => !known.has(id))).toEqual([]);
      expect(seen.every((t) => t.user_id === user.id)).toBe(true);

      const isTime = sort === 'created_at' || sort === 'updated_at';
      if (isTime && order === 'desc') {
        // New tasks sort before the first page's cursor: never listed.
        expect(ids.filter((id) => createdBetween.has(id) || createdRacing.has(id))).toEqual([]);
      }
      if (isTime && order === 'asc') {
        // New tasks sort after every seeded one: each one created before a later page
        // was asked for is listed.
        const unlisted = [...createdBetween].filter((id) => !listed.has(id));
        expect(unlisted).toEqual([]);
      }

      // The concatenated pages are in the order (key, id).
      await expectInOrder(seen, sort, order);
    },
  );
});

describe('cursors', () => {
  let user: TestUser;
  let cursor: string;
  let firstPage: TaskJson[];
  beforeAll(async () => {
    user = await buildUser(api);
    await seedTasks(user);
    const page = await getPage(user, '/api/tasks?limit=10');
    expect(page.status).toBe(200);
    expect(page.cursor).toBeDefined();
    cursor = page.cursor!;
    firstPage = page.tasks;
  });

  const refused = async (query: string) => {
    const response = await api.json('GET', `/api/tasks?${query}`, user);
    expect(response.status, query).toBe(400);
    expect(await problemCode(response)).toBe('invalid_cursor');
  };

  it('refuses a cursor under another sort', async () => {
    for (const sort of sortKeys.filter((s) => s !== 'created_at' && s !== 'position')) {
      await refused(`sort=${sort}&cursor=${cursor}`);
    }
  });

  it('refuses a cursor under another order', async () => {
    await refused(`order=asc&cursor=${cursor}`);
  });

  it('refuses a cursor under another filter set', async () => {
    for (const filter of [
      'completed=true',
      'status=pending',
      'priority=high',
      'tag=seed',
      'q=alpha',
      'due_before=2031-03-10',
      'due_after=2031-03-10T00:00:00Z',
    ]) {
      await refused(`${filter}&cursor=${cursor}`);
    }
  });

  it('refuses a cursor that is not one of ours', async () => {
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const bad of [
      'not-a-cursor',
      '!!!',
      'e30',
      encoded([1, 2, 3]),
      encoded({ p: ['2031-01-01T00:00:00.000Z', 5], f: 'x' }),
      `${cursor}x`,
    ]) {
      await refused(`cursor=${encodeURIComponent(bad)}`);
    }
  });

  it('accepts a cursor with another limit and continues right after the previous page', async () => {
    const all = await getPage(user, '/api/tasks?limit=100');
    expect(all.tasks.slice(0, 10)).toEqual(firstPage);
    for (const limit of [1, 5, 37]) {
      const page = await getPage(user, `/api/tasks?limit=${limit}&cursor=${cursor}`);
      expect(page.status).toBe(200);
      expect(page.tasks.map((t) => t.id)).toEqual(all.tasks.slice(10, 10 + limit).map((t) => t.id));
    }
  });

  it('accepts a cursor under the same order spelled out, and the same tags in another order', async () => {
    const defaults = await getPage(user, '/api/tasks?sort=title&limit=3');
    const spelled = await getPage(
      user,
      `/api/tasks?sort=title&order=asc&cursor=${defaults.cursor}`,
    );
    expect(spelled.status).toBe(200);

    const tagged = await getPage(user, '/api/tasks?tag=seed&tag=g1&limit=3');
    expect(tagged.cursor).toBeDefined();
    const swapped = await getPage(user, `/api/tasks?tag=g1&tag=seed&cursor=${tagged.cursor}`);
    expect(swapped.status).toBe(200);
    expect(swapped.tasks.every((t) => t.tags.includes('g1'))).toBe(true);
  });

  it('walks a filtered list to exactly the filtered tasks, in order', async () => {
    const expected = await api.database.db.query<{ id: number | string }>(
      `SELECT id FROM tasks
        WHERE user_id = $1 AND 'g2' = ANY (tags) AND status <> 'completed'
        ORDER BY due_date ASC NULLS LAST, id ASC`,
      [user.id],
    );
    const ids: number[] = [];
    let path: string | undefined =
      '/api/tasks?tag=g2&completed=false&sort=due_date&order=asc&limit=7';
    while (path !== undefined) {
      const page: Page = await getPage(user, path);
      expect(page.status).toBe(200);
      ids.push(...page.tasks.map((t) => t.id));
      path = page.next === undefined ? undefined : withLimit(page.next, 9);
    }
    expect(ids).toEqual(expected.map((row) => Number(row.id)));
  });
});
