import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import {
  expectProblem,
  readTask,
  readTasks,
  withoutRequestId,
} from '../../test/support/api-assertions.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import { countRows } from '../../test/support/test-database.js';
import type { TaskJson } from './task-json.js';

// Isolation: for every route, user B can never read, change, delete or learn the
// existence of user A's task, through either path family and with every kind of credential.

let api: TestApi;
let ann: TestUser;
let bob: TestUser;
/** A's task as A first read it, and the exact bytes of that response. */
let annTask: TaskJson;
let annTaskText: string;
let annRow: Record<string, unknown>;
let bobTask: TaskJson;
/** An id no task has ever had. */
let neverId: number;

const ANN_TITLE = 'Zebra crossing secret plan';
/** A's task as A created it, with annKey. */
const annFields = {
  title: ANN_TITLE,
  description: 'only ann may see this',
  status: 'in_progress',
  priority: 'high',
  tags: ['secret', 'shared'],
  due_date: '2026-06-01T12:00:00Z',
};
const annKey = { 'idempotency-key': 'ann-create-1' };

const rowOf = async (id: number) =>
  (await api.database.db.query('SELECT * FROM tasks WHERE id = $1', [id]))[0]!;

beforeAll(async () => {
  api = await startTestApi();
  ann = await buildUser(api, { name: 'Ann' });
  bob = await buildUser(api, { name: 'Bob' });
  annTask = await buildTask(api, ann, annFields, { headers: annKey });
  const read = await api.json('GET', `/api/tasks/${annTask.id}`, ann);
  annTaskText = await read.text();
  annRow = await rowOf(annTask.id);
  // B has tasks of their own that match the same filters, so an empty list proves nothing.
  bobTask = await buildTask(api, bob, {
    ...annFields,
    title: `${ANN_TITLE} (Bob's copy)`,
    description: 'only ann may see this? no, this is bob',
  });
  neverId = annTask.id + 1_000_000;
});
afterAll(() => api.close());

type Credential = { kind: string; headers: (user: TestUser) => Record<string, string> };
const credentials: Credential[] = [
  { kind: 'JWT', headers: (u) => ({ authorization: `Bearer ${u.jwt}` }) },
  { kind: 'bearer session token', headers: (u) => ({ authorization: `Bearer ${u.sessionToken}` }) },
  { kind: 'session cookie', headers: (u) => ({ cookie: u.cookie }) },
];

interface Call {
  name: string;
  method: string;
  suffix: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Every route on one task, plain and under each kind of If-Match. */
const taskCalls: Call[] = [
  { name: 'GET', method: 'GET', suffix: '' },
  { name: 'PUT', method: 'PUT', suffix: '', body: { title: 'Taken over' } },
  {
    name: 'PUT If-Match "1"',
    method: 'PUT',
    suffix: '',
    body: { title: 'x' },
    headers: { 'if-match': '"1"' },
  },
  { name: 'PATCH', method: 'PATCH', suffix: '', body: { title: 'Taken over' } },
  { name: 'PATCH {}', method: 'PATCH', suffix: '', body: {} },
  {
    name: 'PATCH If-Match "1"',
    method: 'PATCH',
    suffix: '',
    body: { completed: true },
    headers: { 'if-match': '"1"' },
  },
  {
    name: 'PATCH If-Match "5"',
    method: 'PATCH',
    suffix: '',
    body: { completed: true },
    headers: { 'if-match': '"5"' },
  },
  {
    name: 'PATCH If-Match list',
    method: 'PATCH',
    suffix: '',
    body: { priority: 'low' },
    headers: { 'if-match': '"1", "2"' },
  },
  {
    name: 'PATCH {} If-Match "1"',
    method: 'PATCH',
    suffix: '',
    body: {},
    headers: { 'if-match': '"1"' },
  },
  {
    name: 'PATCH If-Match *',
    method: 'PATCH',
    suffix: '',
    body: { title: 'x' },
    headers: { 'if-match': '*' },
  },
  { name: 'DELETE', method: 'DELETE', suffix: '' },
  { name: 'DELETE If-Match "1"', method: 'DELETE', suffix: '', headers: { 'if-match': '"1"' } },
  { name: 'DELETE If-Match *', method: 'DELETE', suffix: '', headers: { 'if-match': '*' } },
  { name: 'toggle', method: 'PATCH', suffix: '/complete' },
  {
    name: 'toggle If-Match "1"',
    method: 'PATCH',
    suffix: '/complete',
    headers: { 'if-match': '"1"' },
  },
  {
    name: 'toggle If-Match "9"',
    method: 'PATCH',
    suffix: '/complete',
    headers: { 'if-match': '"9"' },
  },
];

function call(user: TestUser, credential: Credential, c: Call, path: string): Promise<Response> {
  return api.request(path, {
    method: c.method,
    headers: {
      ...credential.headers(user),
      ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...c.headers,
    },
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
}

/** Status, the headers a client could read a difference from, and the problem minus its id. */
async function observable(response: Response) {
  const status = response.status;
  const headers = {
    contentType: response.headers.get('content-type'),
    etag: response.headers.get('etag'),
    location: response.headers.get('location'),
  };
  const problem = await expectProblem(response, status);
  return { status, headers, problem: withoutRequestId(problem) };
}

/** Each path by which B can name A's task, and the one answer B gets through it. */
const pathsToAnnsTask = [
  { through: '/api/tasks/{id}', base: () => '/api/tasks', status: 404, code: 'task_not_found' },
  {
    through: "B's own /api/{B.id}/tasks/{id}",
    base: () => `/api/${bob.id}/tasks`,
    status: 404,
    code: 'task_not_found',
  },
  {
    through: "A's /api/{A.id}/tasks/{id}",
    base: () => `/api/${ann.id}/tasks`,
    status: 403,
    code: 'forbidden',
  },
];

describe.each(credentials)('user B with a $kind', (credential) => {
  describe.each(pathsToAnnsTask)('through $through', (to) => {
    it.each(taskCalls)(
      `answers $name on A's task ${to.status} ${to.code}, exactly as on a task that never existed`,
      async (c) => {
        const theirs = await call(bob, credential, c, `${to.base()}/${annTask.id}${c.suffix}`);
        const none = await call(bob, credential, c, `${to.base()}/${neverId}${c.suffix}`);
        expect(theirs.status).toBe(to.status);
        const a = await observable(theirs);
        expect(a.problem.code).toBe(to.code);
        expect(a).toEqual(await observable(none));
        expect(a.headers.etag).toBeNull();
      },
    );
  });

  it("returns 403 for A's list and create through /api/{A.id}/tasks, the same as for a user who does not exist", async () => {
    const before = await countRows(api.database.db, 'tasks');
    for (const c of [
      { name: 'list', method: 'GET', suffix: '' },
      { name: 'list q', method: 'GET', suffix: `?q=${encodeURIComponent(ANN_TITLE)}` },
      { name: 'create', method: 'POST', suffix: '', body: { title: 'Planted in A' } },
      {
        name: 'create with A key',
        method: 'POST',
        suffix: '',
        body: { title: ANN_TITLE },
        headers: annKey,
      },
    ] satisfies Call[]) {
      const annPath = await call(bob, credential, c, `/api/${ann.id}/tasks${c.suffix}`);
      const nobody = await call(bob, credential, c, `/api/${randomUUID()}/tasks${c.suffix}`);
      expect(annPath.status, c.name).toBe(403);
      const a = await observable(annPath);
      expect(a.problem.code).toBe('forbidden');
      expect(a).toEqual(await observable(nobody));
    }
    expect(await countRows(api.database.db, 'tasks')).toBe(before);
  });

  it.each([
    '',
    `?q=${encodeURIComponent(ANN_TITLE)}`,
    '?q=zebra',
    '?q=only%20ann',
    '?tag=secret',
    '?tag=secret&tag=shared',
    '?priority=high',
    '?status=in_progress',
    '?completed=false',
    '?due_after=2026-05-01&due_before=2026-07-01',
    '?sort=title',
    '?sort=due_date&order=asc',
    '?sort=priority',
    '?sort=updated_at&limit=100',
  ])("never lists A's task in B's list (query %s), through either family", async (query) => {
    for (const base of ['/api/tasks', `/api/${bob.id}/tasks`]) {
      const response = await call(
        bob,
        credential,
        { name: 'list', method: 'GET', suffix: '' },
        `${base}${query}`,
      );
      expect(response.status).toBe(200);
      const tasks = await readTasks(response);
      expect(tasks.map((t) => t.id)).not.toContain(annTask.id);
      for (const task of tasks) expect(task.user_id).toBe(bob.id);
      expect(tasks.map((t) => t.id)).toContain(bobTask.id);
    }
  });
});

describe("B's other views", () => {
  it("never shows A's task in B's export or counts", async () => {
    const exported = await api.json('GET', '/api/me/export', bob);
    expect(exported.status).toBe(200);
    const body = (await exported.json()) as { user: { id: string }; tasks: TaskJson[] };
    expect(body.user.id).toBe(bob.id);
    expect(body.tasks.map((t) => t.id)).not.toContain(annTask.id);
    for (const task of body.tasks) expect(task.user_id).toBe(bob.id);

    const me = (await (await api.json('GET', '/api/me', bob)).json()) as {
      id: string;
      counts: { total: number };
    };
    expect(me.id).toBe(bob.id);
    expect(me.counts.total).toBe(
      await countRows(api.database.db, 'tasks', 'user_id = $1', [bob.id]),
    );
  });

  it("gives B only B's tasks when B replays a cursor made from A's list", async () => {
    // A needs two tasks for a next page.
    const extra = await buildTask(api, ann, { title: 'Aaa first' });
    const page = await api.json('GET', '/api/tasks?limit=1&sort=title', ann);
    expect((await readTasks(page)).map((t) => t.id)).toEqual([extra.id]);
    const cursor = page.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const response = await api.json(
      'GET',
      `/api/tasks?limit=1&sort=title&cursor=${encodeURIComponent(cursor!)}`,
      bob,
    );
    // Refusing the cursor (400) or paging B's own tasks from that position are both safe.
    expect([200, 400]).toContain(response.status);
    const tasks = response.status === 200 ? await readTasks(response) : [];
    expect(tasks.map((t) => t.id)).not.toContain(annTask.id);
    for (const task of tasks) expect(task.user_id).toBe(bob.id);
    expect((await api.json('DELETE', `/api/tasks/${extra.id}`, ann)).status).toBe(204);
  });

  it("gives B a task of B's own when B reuses A's Idempotency-Key with A's body", async () => {
    const task = await buildTask(api, bob, annFields, { headers: annKey });
    expect(task.id).not.toBe(annTask.id);
    expect(task.user_id).toBe(bob.id);
    expect((await api.json('DELETE', `/api/tasks/${task.id}`, bob)).status).toBe(204);
  });
});

describe("A's task after all of B's attempts", () => {
  it('is byte-for-byte unchanged: same version, same updated_at, same row', async () => {
    const response = await api.json('GET', `/api/tasks/${annTask.id}`, ann);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(`"${annTask.version}"`);
    expect(await response.text()).toBe(annTaskText);
    const row = await rowOf(annTask.id);
    expect(row).toEqual(annRow);
    expect(row.version).toBe(1);
    expect(row.title).toBe(ANN_TITLE);
  });

  it("still answers A's own idempotent retry with A's original task", async () => {
    const retry = await api.json('POST', '/api/tasks', ann, annFields, annKey);
    expect(retry.status).toBe(201);
    expect(await readTask(retry)).toEqual(annTask);
  });
});
