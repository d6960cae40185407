import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import {
  expectProblem,
  expectValidationProblem,
  ISO_UTC,
  readTask,
  readTasks,
} from '../../test/support/api-assertions.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import { accountRoutes, pathFamilies, taskRoutes } from '../../test/support/routes.js';
import { countRows } from '../../test/support/test-database.js';
import type { TaskJson } from './task-json.js';

// Every task route, through both path families, as a client sees it.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const etagOf = (task: TaskJson) => `"${task.version}"`;
/** What a task holds in every writable field it was not given. */
const defaults = {
  description: null,
  status: 'pending',
  completed: false,
  completed_at: null,
  priority: 'none',
  tags: [],
  due_date: null,
};
const titles = (tasks: TaskJson[]) => tasks.map((t) => t.title);

describe.each(pathFamilies)('task routes through $family', ({ base }) => {
  let user: TestUser;
  let tasksPath: string;
  beforeAll(async () => {
    user = await buildUser(api);
    tasksPath = base(user);
  });

  const create = (fields: Record<string, unknown>) =>
    buildTask(api, user, fields, { path: tasksPath });

  describe('POST creates a task', () => {
    it('answers 201 with Location in the same path family, ETag "1" and all 19 fields', async () => {
      const before = Date.now();
      const response = await api.json('POST', tasksPath, user, { title: 'Write the report' });
      expect(response.status).toBe(201);
      const task = await readTask(response);
      expect(response.headers.get('location')).toBe(`${tasksPath}/${task.id}`);
      expect(response.headers.get('etag')).toBe('"1"');
      expect(task).toMatchObject({
        ...defaults,
        user_id: user.id,
        title: 'Write the report',
        version: 1,
      });
      expect(task.created_at).toBe(task.updated_at);
      expect(Date.parse(task.created_at)).toBeGreaterThanOrEqual(before - 5_000);
      expect(Date.parse(task.created_at)).toBeLessThanOrEqual(Date.now() + 5_000);
    });

    it('stores every writable field, priorities by name', async () => {
      const task = await create({
        title: 'Plan the offsite',
        description: 'Venue and agenda',
        status: 'in_progress',
        priority: 'high',
        tags: ['work', 'planning'],
        due_date: '2026-12-01T17:30:00Z',
      });
      expect(task).toMatchObject({
        title: 'Plan the offsite',
        description: 'Venue and agenda',
        status: 'in_progress',
        completed: false,
        completed_at: null,
        priority: 'high',
        tags: ['work', 'planning'],
        due_date: '2026-12-01T17:30:00.000Z',
      });
      for (const priority of ['none', 'low', 'medium', 'high']) {
        expect((await create({ title: `p ${priority}`, priority })).priority).toBe(priority);
      }
    });

    it('stores the title trimmed', async () => {
      const task = await create({ title: '  \t Buy milk \n ' });
      expect(task.title).toBe('Buy milk');
    });

    it('stores tags lower-cased and de-duplicated', async () => {
      expect((await create({ title: 'Tags', tags: ['Work', 'work'] })).tags).toEqual(['work']);
      expect((await create({ title: 'Tags 2', tags: ['Home', 'URGENT', 'home'] })).tags).toEqual([
        'home',
        'urgent',
      ]);
    });

    it('reads completed:true as status completed (with completed_at) and completed:false as pending', async () => {
      const done = await create({ title: 'Already done', completed: true });
      expect(done.status).toBe('completed');
      expect(done.completed).toBe(true);
      expect(done.completed_at).toMatch(ISO_UTC);
      const open = await create({ title: 'Not done', completed: false });
      expect(open.status).toBe('pending');
      expect(open.completed).toBe(false);
      expect(open.completed_at).toBeNull();
    });

    it('accepts completed and status when they agree', async () => {
      const done = await create({ title: 'Agree', completed: true, status: 'completed' });
      expect(done.status).toBe('completed');
      const busy = await create({ title: 'Agree 2', completed: false, status: 'in_progress' });
      expect(busy.status).toBe('in_progress');
    });

    it('refuses completed and status that disagree with 422', async () => {
      await expectValidationProblem(
        await api.json('POST', tasksPath, user, { title: 'x', completed: true, status: 'pending' }),
        ['completed'],
      );
      await expectValidationProblem(
        await api.json('POST', tasksPath, user, {
          title: 'x',
          completed: false,
          status: 'completed',
        }),
        ['completed'],
      );
    });

    it("reads a due date 'YYYY-MM-DD' as midnight UTC", async () => {
      const task = await create({ title: 'Dated', due_date: '2026-12-01' });
      expect(task.due_date).toBe('2026-12-01T00:00:00.000Z');
    });

    it('normalises a due date with an offset to UTC with Z', async () => {
      const task = await create({ title: 'Offset', due_date: '2026-12-01T10:15:00+02:00' });
      expect(task.due_date).toBe('2026-12-01T08:15:00.000Z');
      const west = await create({ title: 'Offset 2', due_date: '2026-12-01T22:00:00.5-05:00' });
      expect(west.due_date).toBe('2026-12-02T03:00:00.500Z');
    });

    it('counts the title in characters: 200 emoji are accepted, 201 are refused with 422', async () => {
      const emoji = '\u{1F600}';
      const ok = await create({ title: emoji.repeat(200) });
      expect([...ok.title]).toHaveLength(200);
      expect(ok.title).toBe(emoji.repeat(200));
      await expectValidationProblem(
        await api.json('POST', tasksPath, user, { title: emoji.repeat(201) }),
        ['title'],
      );
    });
  });

  describe('GET one task', () => {
    it('answers 200 with the task and ETag "<version>"', async () => {
      const created = await create({ title: 'Read me', tags: ['a'] });
      const response = await api.json('GET', `${tasksPath}/${created.id}`, user);
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe('"1"');
      expect(await readTask(response)).toEqual(created);
    });

    it('answers 404 for an id that does not exist', async () => {
      await expectProblem(
        await api.json('GET', `${tasksPath}/987654321`, user),
        404,
        'task_not_found',
      );
    });
  });

  describe('PUT replaces the writable fields', () => {
    it('answers 200 with ETag and resets every omitted writable field to its default', async () => {
      const created = await create({
        title: 'Full',
        description: 'Something',
        status: 'in_progress',
        priority: 'high',
        tags: ['x', 'y'],
        due_date: '2026-10-01',
      });
      const response = await api.json('PUT', `${tasksPath}/${created.id}`, user, {
        title: ' Replaced ',
      });
      expect(response.status).toBe(200);
      const task = await readTask(response);
      expect(response.headers.get('etag')).toBe(etagOf(task));
      expect(task).toEqual({
        ...created,
        ...defaults,
        title: 'Replaced',
        version: 2,
        updated_at: task.updated_at,
      });
      expect(Date.parse(task.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    });

    it('sets every field it is given', async () => {
      const created = await create({ title: 'Bare' });
      const response = await api.json('PUT', `${tasksPath}/${created.id}`, user, {
        title: 'Dressed',
        description: 'd',
        completed: true,
        priority: 'medium',
        tags: ['One', 'one', 'two'],
        due_date: '2027-01-02T03:04:05+01:00',
      });
      expect(response.status).toBe(200);
      expect(await readTask(response)).toMatchObject({
        title: 'Dressed',
        description: 'd',
        status: 'completed',
        completed: true,
        priority: 'medium',
        tags: ['one', 'two'],
        due_date: '2027-01-02T02:04:05.000Z',
        version: 2,
      });
    });

    it('refuses a body without title with 422 and changes nothing', async () => {
      const created = await create({ title: 'Keep', priority: 'low' });
      await expectValidationProblem(
        await api.json('PUT', `${tasksPath}/${created.id}`, user, { priority: 'high' }),
        ['title'],
      );
      const after = await readTask(await api.json('GET', `${tasksPath}/${created.id}`, user));
      expect(after).toEqual(created);
    });
  });

  describe('PATCH changes some fields', () => {
    it('answers 200 with ETag and changes only the fields given', async () => {
      const created = await create({
        title: 'Patch me',
        description: 'keep',
        status: 'in_progress',
        priority: 'low',
        tags: ['keep'],
        due_date: '2026-05-05',
      });
      const response = await api.json('PATCH', `${tasksPath}/${created.id}`, user, {
        priority: 'high',
      });
      expect(response.status).toBe(200);
      const task = await readTask(response);
      expect(response.headers.get('etag')).toBe('"2"');
      expect(task).toEqual({
        ...created,
        priority: 'high',
        version: 2,
        updated_at: task.updated_at,
      });
    });

    it('clears nullable fields given as null and applies completed', async () => {
      const created = await create({ title: 'Clear me', description: 'x', due_date: '2026-05-05' });
      const response = await api.json('PATCH', `${tasksPath}/${created.id}`, user, {
        description: null,
        due_date: null,
        completed: true,
        title: '  New title  ',
        tags: ['B', 'b', 'A'],
      });
      expect(response.status).toBe(200);
      expect(await readTask(response)).toMatchObject({
        title: 'New title',
        description: null,
        due_date: null,
        status: 'completed',
        completed: true,
        tags: ['b', 'a'],
      });
    });

    it('keeps completed_at while the task stays completed, and clears it when it leaves', async () => {
      const created = await create({ title: 'Done once', completed: true });
      expect(created.completed_at).toMatch(ISO_UTC);
      const renamed = await readTask(
        await api.json('PATCH', `${tasksPath}/${created.id}`, user, { title: 'Done, renamed' }),
      );
      expect(renamed.completed_at).toBe(created.completed_at);
      const again = await readTask(
        await api.json('PUT', `${tasksPath}/${created.id}`, user, {
          title: 'Done',
          completed: true,
        }),
      );
      expect(again.completed_at).toBe(created.completed_at);
      const reopened = await readTask(
        await api.json('PATCH', `${tasksPath}/${created.id}`, user, { status: 'in_progress' }),
      );
      expect(reopened).toMatchObject({
        status: 'in_progress',
        completed: false,
        completed_at: null,
      });
    });

    it('refuses completed and status that disagree with 422', async () => {
      const created = await create({ title: 'Disagree' });
      await expectValidationProblem(
        await api.json('PATCH', `${tasksPath}/${created.id}`, user, {
          completed: true,
          status: 'in_progress',
        }),
        ['completed'],
      );
    });
  });

  describe('DELETE', () => {
    it('answers 204 with an empty body, after which the task is 404', async () => {
      const created = await create({ title: 'Delete me' });
      const response = await api.json('DELETE', `${tasksPath}/${created.id}`, user);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      await expectProblem(
        await api.json('GET', `${tasksPath}/${created.id}`, user),
        404,
        'task_not_found',
      );
      await expectProblem(
        await api.json('DELETE', `${tasksPath}/${created.id}`, user),
        404,
        'task_not_found',
      );
    });
  });

  describe('PATCH …/complete toggles', () => {
    it('toggles pending → completed (sets completed_at) → pending (clears it), with ETag', async () => {
      const created = await create({ title: 'Toggle me' });
      const first = await api.json('PATCH', `${tasksPath}/${created.id}/complete`, user);
      expect(first.status).toBe(200);
      const done = await readTask(first);
      expect(first.headers.get('etag')).toBe('"2"');
      expect(done).toMatchObject({ status: 'completed', completed: true, version: 2 });
      expect(done.completed_at).toMatch(ISO_UTC);

      const second = await api.json('PATCH', `${tasksPath}/${created.id}/complete`, user);
      expect(second.status).toBe(200);
      const undone = await readTask(second);
      expect(second.headers.get('etag')).toBe('"3"');
      expect(undone).toMatchObject({
        status: 'pending',
        completed: false,
        completed_at: null,
        version: 3,
      });
    });

    it('toggles in_progress → completed', async () => {
      const created = await create({ title: 'Busy', status: 'in_progress' });
      const response = await api.json('PATCH', `${tasksPath}/${created.id}/complete`, user);
      expect(response.status).toBe(200);
      const task = await readTask(response);
      expect(task.status).toBe('completed');
      expect(task.completed_at).toMatch(ISO_UTC);
    });

    it('answers 404 for an id that does not exist', async () => {
      await expectProblem(
        await api.json('PATCH', `${tasksPath}/987654321/complete`, user),
        404,
        'task_not_found',
      );
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a valid X-Request-Id sent by the client, on success and on error', async () => {
      const ok = await api.json('GET', tasksPath, user, undefined, {
        'x-request-id': 'client-req.42:abc',
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-request-id')).toBe('client-req.42:abc');
      const missing = await api.json('GET', `${tasksPath}/987654321`, user, undefined, {
        'x-request-id': 'client-req-404',
      });
      expect(missing.headers.get('x-request-id')).toBe('client-req-404');
      expect((await expectProblem(missing, 404)).request_id).toBe('client-req-404');
    });

    it('replaces an X-Request-Id that is not sane with one of its own', async () => {
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon']) {
        const response = await api.json('GET', tasksPath, user, undefined, { 'x-request-id': bad });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-request-id')).not.toBe(bad);
      }
    });

    it('gives each request its own id when the client sends none', async () => {
      const a = await api.json('GET', tasksPath, user);
      const b = await api.json('GET', tasksPath, user);
      expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    });
  });

  describe('GET list', () => {
    // A user of its own with five known tasks, created in this order.
    let lister: TestUser;
    let listPath: string;
    const fixtures = [
      {
        title: 'alpha report',
        description: 'Quarterly numbers',
        status: 'pending',
        priority: 'high',
        tags: ['work', 'urgent'],
        due_date: '2026-01-10T09:00:00Z',
      },
      {
        title: 'beta groceries',
        status: 'completed',
        priority: 'low',
        tags: ['home'],
        due_date: '2026-03-01T09:00:00Z',
      },
      {
        title: 'gamma call mum',
        description: 'Ask about the REPORT she sent',
        status: 'in_progress',
        priority: 'medium',
        tags: ['home', 'family'],
      },
      {
        title: 'delta taxes',
        status: 'pending',
        priority: 'none',
        tags: ['work'],
        due_date: '2026-06-15T09:00:00Z',
      },
      {
        title: 'epsilon review',
        status: 'completed',
        priority: 'high',
        tags: ['work', 'urgent', 'review'],
        due_date: '2026-02-01T09:00:00Z',
      },
    ];
    beforeAll(async () => {
      lister = await buildUser(api);
      listPath = base(lister);
      for (const fields of fixtures) await buildTask(api, lister, fields, { path: listPath });
    });

    const list = async (query: string) => {
      const response = await api.json('GET', `${listPath}${query}`, lister);
      expect(response.status).toBe(200);
      return { response, tasks: await readTasks(response) };
    };

    it('answers 200 with a JSON array of tasks, newest first by default', async () => {
      const { tasks } = await list('');
      expect(titles(tasks)).toEqual(fixtures.map((f) => f.title).reverse());
      for (const task of tasks) expect(task.user_id).toBe(lister.id);
    });

    it('pages with Link rel="next" and X-Next-Cursor while more remain, and neither on the last page', async () => {
      const seen: string[] = [];
      let next: string | undefined = `${listPath}?limit=2`;
      const pageSizes: number[] = [];
      while (next) {
        const response = await api.json('GET', next, lister);
        expect(response.status).toBe(200);
        const tasks = await readTasks(response);
        pageSizes.push(tasks.length);
        seen.push(...titles(tasks));
        const link = response.headers.get('link');
        const cursor = response.headers.get('x-next-cursor');
        if (link === null) {
          expect(cursor).toBeNull();
          next = undefined;
        } else {
          const match = /^<([^>]+)>; rel="next"$/.exec(link);
          expect(match, link).not.toBeNull();
          const url = new URL(match![1]!, 'http://localhost');
          expect(url.pathname).toBe(listPath);
          expect(url.searchParams.get('cursor')).toBe(cursor);
          expect(url.searchParams.get('limit')).toBe('2');
          next = `${url.pathname}${url.search}`;
        }
        expect(pageSizes.length).toBeLessThan(10);
      }
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(fixtures.map((f) => f.title).reverse());
    });

    it('has no next page when the page holds exactly the remaining tasks', async () => {
      const { response, tasks } = await list('?limit=5');
      expect(tasks).toHaveLength(5);
      expect(response.headers.get('link')).toBeNull();
      expect(response.headers.get('x-next-cursor')).toBeNull();
    });

    it.each([
      ['completed=true', ['beta groceries', 'epsilon review']],
      ['completed=false', ['alpha report', 'gamma call mum', 'delta taxes']],
      ['status=in_progress', ['gamma call mum']],
      ['status=pending', ['alpha report', 'delta taxes']],
      ['priority=high', ['alpha report', 'epsilon review']],
      ['priority=none', ['delta taxes']],
      ['tag=work', ['alpha report', 'delta taxes', 'epsilon review']],
      ['tag=WORK', ['alpha report', 'delta taxes', 'epsilon review']],
      ['tag=work&tag=urgent', ['alpha report', 'epsilon review']],
      ['tag=work&tag=urgent&tag=review', ['epsilon review']],
      ['tag=urgent&tag=home', []],
      ['q=report', ['alpha report', 'gamma call mum']],
      ['q=RePoRt', ['alpha report', 'gamma call mum']],
      ['q=quarterly', ['alpha report']],
      ['q=100%25', []],
      ['q=%25', []],
      ['q=_', []],
      ['q=%5C', []],
      ['due_before=2026-02-15', ['alpha report', 'epsilon review']],
      ['due_after=2026-02-15', ['beta groceries', 'delta taxes']],
      [
        'due_after=2026-01-15&due_before=2026-04-01T00:00:00Z',
        ['beta groceries', 'epsilon review'],
      ],
      ['completed=false&tag=work', ['alpha report', 'delta taxes']],
    ])('filters by %s', async (query, expected) => {
      const { tasks } = await list(`?${query}`);
      expect(titles(tasks).sort()).toEqual([...expected].sort());
    });

    it('sorts by title ascending by default when sort=title, and descending on request', async () => {
      const ascending = [
        'alpha report',
        'beta groceries',
        'delta taxes',
        'epsilon review',
        'gamma call mum',
      ];
      expect(titles((await list('?sort=title')).tasks)).toEqual(ascending);
      expect(titles((await list('?sort=title&order=desc')).tasks)).toEqual(
        [...ascending].reverse(),
      );
    });

    it('pages a title sort without duplicates or gaps', async () => {
      const first = await list('?sort=title&limit=3');
      const cursor = first.response.headers.get('x-next-cursor');
      expect(cursor).toBeTruthy();
      const second = await list(`?sort=title&limit=3&cursor=${encodeURIComponent(cursor!)}`);
      expect(second.response.headers.get('link')).toBeNull();
      expect([...titles(first.tasks), ...titles(second.tasks)]).toEqual([
        'alpha report',
        'beta groceries',
        'delta taxes',
        'epsilon review',
        'gamma call mum',
      ]);
    });
  });
});

describe('GET /api/me', () => {
  it("answers the caller's profile and task counts (total, pending, in_progress, completed, overdue)", async () => {
    const user = await buildUser(api, { name: 'Counting Carla' });
    const bodies = [
      { title: 'late and pending', due_date: '2020-01-01' },
      { title: 'pending, no due date' },
      { title: 'late and busy', status: 'in_progress', due_date: '2020-06-01T00:00:00Z' },
      { title: 'late but done', completed: true, due_date: '2020-01-01' },
      { title: 'done', completed: true },
      { title: 'future', status: 'in_progress', due_date: '2999-01-01' },
    ];
    for (const fields of bodies) await buildTask(api, user, fields);

    const response = await api.json('GET', '/api/me', user);
    expect(response.status).toBe(200);
    const me = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(me).sort()).toEqual([
      'counts',
      'created_at',
      'email',
      'email_reminders',
      'id',
      'name',
      'timezone',
    ]);
    expect(me).toEqual({
      id: user.id,
      email: user.email,
      name: 'Counting Carla',
      timezone: 'UTC',
      email_reminders: true,
      created_at: expect.stringMatching(ISO_UTC),
      counts: { total: 6, pending: 2, in_progress: 2, completed: 2, overdue: 2 },
    });
  });

  it('counts zero for a user with no tasks', async () => {
    const user = await buildUser(api);
    const me = (await (await api.json('GET', '/api/me', user)).json()) as { counts: unknown };
    expect(me.counts).toEqual({ total: 0, pending: 0, in_progress: 0, completed: 0, overdue: 0 });
  });
});

describe('GET /api/me/export', () => {
  it('answers {exported_at, user, lists, memberships, tasks} with every task of the caller, oldest first', async () => {
    const user = await buildUser(api, { name: 'Exporting Eve' });
    const other = await buildUser(api);
    await buildTask(api, other, { title: 'not mine' });
    const created: TaskJson[] = [];
    for (const title of ['first', 'second', 'third']) {
      created.push(await buildTask(api, user, { title, tags: ['t'] }));
    }
    const before = Date.now();
    const response = await api.json('GET', '/api/me/export', user);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      exported_at: string;
      user: unknown;
      lists: unknown[];
      tasks: unknown[];
    };
    expect(Object.keys(body)).toEqual(['exported_at', 'user', 'lists', 'memberships', 'tasks']);
    expect(body.lists).toHaveLength(1);
    expect(body.exported_at).toMatch(ISO_UTC);
    expect(Date.parse(body.exported_at)).toBeGreaterThanOrEqual(before - 5_000);
    expect(body.user).toEqual({
      id: user.id,
      email: user.email,
      name: 'Exporting Eve',
      timezone: 'UTC',
      email_reminders: true,
      created_at: expect.stringMatching(ISO_UTC),
    });
    expect(body.tasks).toEqual(created);
  });
});

describe('DELETE /api/me', () => {
  it('answers 204, deletes the tasks, ends the sessions, and leaves a stale JWT reading nothing and writing nothing', async () => {
    const user = await buildUser(api);
    const survivor = await buildUser(api);
    for (const title of ['one', 'two']) {
      await buildTask(api, user, { title }, { headers: { 'idempotency-key': title } });
    }
    const kept = await buildTask(api, survivor, { title: 'kept' });

    const response = await api.json('DELETE', '/api/me', user, { password: user.password });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');

    // As the superuser (RLS bypassed): nothing of the user is left.
    for (const table of ['tasks', 'sessions', 'idempotency_keys']) {
      expect(await countRows(api.database.db, table, 'user_id = $1', [user.id]), table).toBe(0);
    }
    expect(await countRows(api.database.db, 'users', 'id = $1', [user.id])).toBe(0);

    // The session token and the cookie no longer work.
    await expectProblem(
      await api.request('/api/tasks', {
        headers: { authorization: `Bearer ${user.sessionToken}` },
      }),
      401,
      'unauthorized',
    );
    await expectProblem(
      await api.request('/api/tasks', { headers: { cookie: user.cookie } }),
      401,
      'unauthorized',
    );

    // The JWT is still valid for its lifetime: lists are empty, creates are 401, every other
    // route is refused, and never with a 5xx.
    for (const { method, path, body, onTask } of [...accountRoutes, ...taskRoutes(user, kept.id)]) {
      const stale = await api.json(method, path, user, body);
      const where = `${method} ${path}`;
      if (method === 'GET' && !onTask && path.endsWith('/tasks')) {
        expect(stale.status, where).toBe(200);
        expect(await stale.json(), where).toEqual([]);
      } else if (method === 'POST' && !onTask) {
        await expectProblem(stale, 401, 'unauthorized');
      } else {
        expect(stale.status, where).toBeGreaterThanOrEqual(400);
        expect(stale.status, where).toBeLessThan(500);
      }
    }
    expect(await countRows(api.database.db, 'tasks', 'user_id = $1', [user.id])).toBe(0);

    // Another user's data is untouched.
    expect(await readTask(await api.json('GET', `/api/tasks/${kept.id}`, survivor))).toEqual(kept);
  });
});
