import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppClient,
  listen,
  startTestApi,
  type TestApi,
  type TestUser,
  testApp,
} from '../../test/support/api.js';
import {
  expectNoInternals,
  expectProblem,
  expectValidationProblem,
  PROBLEM_CONTENT_TYPE,
  readTask,
} from '../../test/support/api-assertions.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import { type FaultyPool, injectFaults, sqlError } from '../../test/support/faulty-pool.js';
import { taskRoutes } from '../../test/support/routes.js';
import { countRows } from '../../test/support/test-database.js';
import { type ErrorCode, errorCatalogue } from '../errors.js';
import type { TaskJson } from '../tasks/task-json.js';

// Every code of the error catalogue, provoked by a real request: its status, title and code
// in an RFC 9457 problem with the request id, and its headers. Then the refusals no other
// suite holds: which queries, bodies, media types, sizes and If-Match values are refused, and
// that a refusal changes nothing. No error body carries a stack trace, SQL or a server name.

let api: TestApi;
/** The same app on the same database, with a cap of one task and two writes a minute. */
let strict: AppClient;
let faults: FaultyPool;
let ann: TestUser;
let bob: TestUser;
beforeAll(async () => {
  api = await startTestApi();
  strict = testApp({ ...api.config, MAX_TASKS_PER_USER: 1, API_WRITE_LIMIT_PER_MINUTE: 2 }, api.db);
  faults = injectFaults(api.db);
  ann = await buildUser(api);
  bob = await buildUser(api);
});
afterAll(() => api.close());

const JSON_TYPE = { 'content-type': 'application/json' };

/** A request with the user's JWT and whatever body and headers the test chooses. */
function raw(
  user: TestUser,
  method: string,
  path: string,
  body?: RequestInit['body'],
  headers: Record<string, string> = {},
): Promise<Response> {
  return api.request(path, {
    method,
    headers: { authorization: `Bearer ${user.jwt}`, ...headers },
    body,
  });
}

async function getTask(user: TestUser, id: number): Promise<TaskJson> {
  const response = await api.json('GET', `/api/tasks/${id}`, user);
  expect(response.status).toBe(200);
  return readTask(response);
}

const countTasks = (user: TestUser) =>
  countRows(api.database.db, 'tasks', 'user_id = $1', [user.id]);

/** A valid JSON body of exactly `bytes` bytes: a title padded with white space. */
function bodyOf(bytes: number): string {
  const head = '{"title":"big"';
  const text = `${head}${' '.repeat(bytes - head.length - 1)}}`;
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

/** A new list of Ann's that Bob joined with `role`. */
async function sharedList(role: string): Promise<number> {
  const created = await api.json('POST', '/api/lists', ann, { name: 'Shared' });
  const list = ((await created.json()) as { id: number }).id;
  const invited = await api.json('POST', `/api/lists/${list}/invitations`, ann, { role });
  const { token } = (await invited.json()) as { token: string };
  expect((await api.json('POST', `/api/invitations/${token}/accept`, bob)).status).toBe(200);
  return list;
}

const move = (id: number, body: Record<string, unknown>) =>
  api.json('POST', `/api/tasks/${id}/move`, ann, body);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** One request that provokes each code; the codes answered with Retry-After say so. */
const catalogueRows: { code: ErrorCode; provoke: () => Promise<Response>; retryAfter?: true }[] = [
  { code: 'bad_request', provoke: () => api.json('GET', '/api/tasks?limit=0', ann) },
  {
    code: 'invalid_cursor',
    provoke: () => api.json('GET', '/api/tasks?cursor=garbage', ann),
  },
  {
    code: 'malformed_json',
    provoke: () => raw(ann, 'POST', '/api/tasks', '{"title": ', JSON_TYPE),
  },
  { code: 'unauthorized', provoke: () => api.json('GET', '/api/tasks', undefined) },
  { code: 'forbidden', provoke: () => api.json('GET', `/api/${bob.id}/tasks`, ann) },
  // A bare JWT is no fresh proof of who deletes the account.
  { code: 'reauthentication_required', provoke: () => api.json('DELETE', '/api/me', ann) },
  {
    code: 'wrong_password',
    provoke: () => api.json('DELETE', '/api/me', ann, { password: 'not-the-password-1' }),
  },
  { code: 'not_found', provoke: () => api.json('GET', '/api/nothing-here', ann) },
  { code: 'task_not_found', provoke: () => api.json('GET', '/api/tasks/987654321', ann) },
  { code: 'list_not_found', provoke: () => api.json('GET', '/api/lists/987654321', ann) },
  {
    code: 'invitation_not_found',
    provoke: () => api.json('GET', `/api/invitations/${'x'.repeat(43)}`, ann),
  },
  {
    code: 'member_not_found',
    provoke: async () => {
      const list = await sharedList('viewer');
      return api.json('DELETE', `/api/lists/${list}/members/nobody-at-all`, ann);
    },
  },
  {
    code: 'notification_not_found',
    provoke: () => api.json('POST', '/api/notifications/987654321/read', ann),
  },
  {
    code: 'insufficient_role',
    provoke: async () => {
      const list = await sharedList('viewer');
      return api.json('PATCH', `/api/lists/${list}`, bob, { name: 'Mine now' });
    },
  },
  {
    code: 'owner_cannot_leave',
    provoke: async () => {
      const list = await sharedList('viewer');
      return api.json('DELETE', `/api/lists/${list}/members/${ann.id}`, ann);
    },
  },
  {
    code: 'owner_role_fixed',
    provoke: async () => {
      const list = await sharedList('viewer');
      return api.json('PATCH', `/api/lists/${list}/members/${ann.id}`, ann, { role: 'admin' });
    },
  },
  {
    code: 'assignee_not_member',
    provoke: () => api.json('POST', '/api/tasks', ann, { title: 'For Bob', assignee_id: bob.id }),
  },
  {
    code: 'inbox_protected',
    provoke: async () => {
      const { list_id } = await buildTask(api, ann);
      return api.json('DELETE', `/api/lists/${list_id}`, ann);
    },
  },
  {
    code: 'version_mismatch',
    provoke: async () => {
      const task = await buildTask(api, ann);
      return api.json('PATCH', `/api/tasks/${task.id}`, ann, {}, { 'if-match': '"2"' });
    },
  },
  {
    code: 'payload_too_large',
    provoke: () => raw(ann, 'POST', '/api/tasks', bodyOf(64 * 1024 + 1), JSON_TYPE),
  },
  {
    code: 'unsupported_media_type',
    provoke: () =>
      raw(ann, 'POST', '/api/tasks', '{"title":"x"}', { 'content-type': 'text/plain' }),
  },
  { code: 'validation_failed', provoke: () => api.json('POST', '/api/tasks', ann, { title: '' }) },
  {
    code: 'idempotency_key_reused',
    provoke: async () => {
      const key = { 'idempotency-key': 'used-once' };
      await buildTask(api, ann, { title: 'Once' }, { headers: key });
      return api.json('POST', '/api/tasks', ann, { title: 'Twice' }, key);
    },
  },
  {
    code: 'subtask_too_deep',
    provoke: async () => {
      let parent = await buildTask(api, ann, { title: 'level 1' });
      for (let level = 2; level <= 5; level++) {
        parent = await buildTask(api, ann, { title: `level ${level}`, parent_id: parent.id });
      }
      return api.json('POST', '/api/tasks', ann, { title: 'level 6', parent_id: parent.id });
    },
  },
  {
    code: 'subtask_cycle',
    provoke: async () => {
      const task = await buildTask(api, ann);
      return move(task.id, { parent_id: task.id });
    },
  },
  {
    code: 'subtask_list_mismatch',
    provoke: async () => {
      const inbox = (await buildTask(api, ann)).list_id;
      const elsewhere = await api.json('POST', '/api/lists', ann, { name: 'Elsewhere' });
      expect(elsewhere.status).toBe(201);
      const { id } = (await elsewhere.json()) as { id: number };
      const parent = await buildTask(api, ann, { list_id: id });
      return api.json('POST', '/api/tasks', ann, {
        title: 'x',
        parent_id: parent.id,
        list_id: inbox,
      });
    },
  },
  {
    code: 'not_a_sibling',
    provoke: async () => {
      const task = await buildTask(api, ann);
      return move(task.id, { before_id: task.id });
    },
  },
  {
    code: 'not_recurring',
    provoke: async () => {
      const task = await buildTask(api, ann, { due_date: '2026-12-01T09:00:00Z' });
      return api.json('POST', `/api/tasks/${task.id}/skip`, ann);
    },
  },
  {
    code: 'no_next_occurrence',
    provoke: async () => {
      // A series of one occurrence, completed: nothing is left to skip to.
      const task = await buildTask(api, ann, {
        due_date: '2026-12-01T09:00:00Z',
        recurrence: 'FREQ=DAILY;COUNT=1',
      });
      const done = await api.json('PATCH', `/api/tasks/${task.id}/complete`, ann);
      expect((await readTask(done)).status).toBe('completed');
      return api.json('POST', `/api/tasks/${task.id}/skip`, ann);
    },
  },
  {
    code: 'task_limit_reached',
    provoke: async () => {
      const user = await buildUser(strict);
      await buildTask(strict, user);
      return strict.json('POST', '/api/tasks', user, { title: 'One too many' });
    },
  },
  {
    code: 'rate_limited',
    retryAfter: true,
    provoke: async () => {
      const user = await buildUser(strict);
      for (const id of [1, 2]) await strict.json('DELETE', `/api/tasks/${id}`, user);
      return strict.json('DELETE', '/api/tasks/3', user);
    },
  },
  {
    code: 'internal',
    provoke: () => {
      faults.failNext(1, () => sqlError('XX000', 'internal error'));
      return api.json('GET', '/api/tasks', ann);
    },
  },
  {
    code: 'database_unavailable',
    retryAfter: true,
    provoke: () => {
      faults.failNext();
      return api.json('GET', '/api/tasks', ann);
    },
  },
];

describe('the error catalogue over HTTP', () => {
  it('has a request for every code', () => {
    expect(catalogueRows.map((row) => row.code).sort()).toEqual(Object.keys(errorCatalogue).sort());
  });

  it.each(catalogueRows)(
    '$code: its status and title in a problem with the request id, and its headers',
    async ({ code, provoke, retryAfter }) => {
      const response = await provoke();
      const { status, title } = errorCatalogue[code];
      const problem = await expectProblem(response, status, code);
      expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
      expect(problem.title).toBe(title);
      expect(response.headers.get('www-authenticate')).toBe(status === 401 ? 'Bearer' : null);
      if (retryAfter) expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      else expect(response.headers.get('retry-after')).toBeNull();
    },
  );
});

describe('400: malformed JSON, a bad query parameter or task id', () => {
  it.each(['{"title": ', '{title: "x"}', "{'title':'x'}", 'not json'])(
    'answers 400 malformed_json to %s on every route with a body, and changes nothing',
    async (text) => {
      const task = await buildTask(api, ann);
      for (const { method, path } of taskRoutes(ann, task.id).filter((r) => r.body)) {
        await expectProblem(await raw(ann, method, path, text, JSON_TYPE), 400, 'malformed_json');
      }
      expect(await getTask(ann, task.id)).toEqual(task);
    },
  );

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=2.5', 'limit'],
    ['sort=bogus', 'sort'],
    ['order=sideways', 'order'],
    ['completed=yes', 'completed'],
    ['status=done', 'status'],
    ['priority=urgent', 'priority'],
    ['due_before=tomorrow', 'due_before'],
    ['due_after=2026-02-30', 'due_after'],
    ['colour=blue', 'colour'],
  ])('answers 400 bad_request for the query %s, naming %s', async (query, path) => {
    const problem = await expectProblem(
      await api.json('GET', `/api/tasks?${query}`, ann),
      400,
      'bad_request',
    );
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });

  it('accepts the boundaries limit=1 and limit=100', async () => {
    expect((await api.json('GET', '/api/tasks?limit=1', ann)).status).toBe(200);
    expect((await api.json('GET', '/api/tasks?limit=100', ann)).status).toBe(200);
  });

  it('answers 400 for a task id that is not a positive whole number', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '1e3']) {
      await expectProblem(await api.json('GET', `/api/tasks/${id}`, ann), 400, 'bad_request');
    }
  });
});

describe('422: the body fails validation', () => {
  const long = (n: number) => 'x'.repeat(n);

  it.each([
    ['title over 200 characters', { title: long(201) }, 'title'],
    ['empty title', { title: '' }, 'title'],
    ['title of white space only', { title: ' \t\n ' }, 'title'],
    ['description over 1000 characters', { title: 't', description: long(1001) }, 'description'],
    ['tag over 32 characters', { title: 't', tags: [long(33)] }, 'tags.0'],
    ['empty tag', { title: 't', tags: ['ok', ' '] }, 'tags.1'],
    [
      'more than 10 tags',
      { title: 't', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      'tags',
    ],
    ['unknown status', { title: 't', status: 'done' }, 'status'],
    ['unknown priority', { title: 't', priority: 'urgent' }, 'priority'],
    ['numeric priority', { title: 't', priority: 3 }, 'priority'],
    ['title of the wrong type', { title: 42 }, 'title'],
    ['title null', { title: null }, 'title'],
    ['tags not an array', { title: 't', tags: 'work' }, 'tags'],
    ['completed not a boolean', { title: 't', completed: 'yes' }, 'completed'],
    ['description not a string', { title: 't', description: 5 }, 'description'],
    ['due_date not a date', { title: 't', due_date: 'tomorrow' }, 'due_date'],
    ['due_date not a real day', { title: 't', due_date: '2026-02-30' }, 'due_date'],
    ['due_date without an offset', { title: 't', due_date: '2026-12-01T10:00:00' }, 'due_date'],
    ['due_date as a number', { title: 't', due_date: 1767225600000 }, 'due_date'],
    ['NUL in the title', { title: 'a\u0000b' }, 'title'],
    ['NUL in the description', { title: 't', description: 'a\u0000b' }, 'description'],
    ['NUL in a tag', { title: 't', tags: ['ok', 'a\u0000b'] }, 'tags.1'],
    ['an unknown field', { title: 't', colour: 'blue' }, 'colour'],
  ])('answers 422 for %s and creates nothing', async (_case, body, path) => {
    const before = await countTasks(ann);
    await expectValidationProblem(await api.json('POST', '/api/tasks', ann, body), [path]);
    expect(await countTasks(ann)).toBe(before);
  });

  it('accepts the boundaries: 200-character title, 1000-character description, 10 tags of 32', async () => {
    const task = await buildTask(api, ann, {
      title: long(200),
      description: long(1000),
      tags: Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(32, 'x')),
    });
    expect(task.title).toHaveLength(200);
    expect(task.description).toHaveLength(1000);
    expect(task.tags).toHaveLength(10);
  });

  it('measures a tag after lower-casing: one that grows past 32 characters is a 422 at its own path', async () => {
    // 'İ' (U+0130) lower-cases to two code points, so 32 of them become a 64-character tag.
    const before = await countTasks(ann);
    const problem = await expectProblem(
      await api.json('POST', '/api/tasks', ann, { title: 't', tags: ['\u0130'.repeat(32)] }),
      422,
      'validation_failed',
    );
    expect(problem.errors?.map((e) => e.path)).toEqual(['tags.0']);
    expect(JSON.stringify(problem)).not.toContain('tasks_tags_check');
    expect(await countTasks(ann)).toBe(before);
  });

  it('answers 422 for a body that is not an object', async () => {
    for (const body of [[], 'a title', 42, null]) {
      await expectProblem(
        await api.json('POST', '/api/tasks', ann, body),
        422,
        'validation_failed',
      );
    }
  });

  it('answers 422 for the same failures on PUT and PATCH and changes nothing', async () => {
    const task = await buildTask(api, ann, { title: 'Unchanged' });
    const bad: [Record<string, unknown>, string][] = [
      [{ title: long(201) }, 'title'],
      [{ title: 't', status: 'done' }, 'status'],
      [{ title: 't', priority: 'urgent' }, 'priority'],
      [{ title: 't', tags: [long(33)] }, 'tags.0'],
      [{ title: 'a\u0000b' }, 'title'],
      [{ title: 't', description: 'a\u0000b' }, 'description'],
      [{ title: 't', tags: ['a\u0000b'] }, 'tags.0'],
      [{ title: 't', colour: 'blue' }, 'colour'],
    ];
    for (const method of ['PUT', 'PATCH']) {
      for (const [body, path] of bad) {
        await expectValidationProblem(await api.json(method, `/api/tasks/${task.id}`, ann, body), [
          path,
        ]);
      }
    }
    expect(await getTask(ann, task.id)).toEqual(task);
  });

  it('answers 422 for read-only fields (id, user_id, created_at, updated_at, completed_at, version) and never applies them', async () => {
    const task = await buildTask(api, ann, { title: 'Read-only fields' });
    const readOnly: Record<string, unknown> = {
      id: task.id + 1000,
      user_id: bob.id,
      created_at: '2000-01-01T00:00:00.000Z',
      updated_at: '2000-01-01T00:00:00.000Z',
      completed_at: '2000-01-01T00:00:00.000Z',
      version: 99,
    };
    const annBefore = await countTasks(ann);
    const bobBefore = await countTasks(bob);
    for (const [field, value] of Object.entries(readOnly)) {
      const body = { title: 'Changed', [field]: value };
      for (const [method, path] of [
        ['POST', '/api/tasks'],
        ['PUT', `/api/tasks/${task.id}`],
        ['PATCH', `/api/tasks/${task.id}`],
      ] as const) {
        const problem = await expectValidationProblem(await api.json(method, path, ann, body), [
          field,
        ]);
        expect(problem.errors!.find((e) => e.path === field)?.message).toBe('is read-only');
      }
    }
    expect(await getTask(ann, task.id)).toEqual(task);
    expect(await countTasks(ann)).toBe(annBefore);
    expect(await countTasks(bob)).toBe(bobBefore);
  });

  it('answers 422 with every failing field listed', async () => {
    const problem = await expectValidationProblem(
      await api.json('POST', '/api/tasks', ann, { title: '', priority: 'urgent', colour: 'x' }),
      ['title', 'priority', 'colour'],
    );
    expect(problem.errors!.length).toBeGreaterThanOrEqual(3);
  });
});

describe('415: a body that is not sent as JSON', () => {
  it('answers 415 for text/plain and other non-JSON types, and changes nothing', async () => {
    const task = await buildTask(api, ann);
    const before = await countTasks(ann);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/json']) {
      for (const [method, path] of [
        ['POST', '/api/tasks'],
        ['PUT', `/api/tasks/${task.id}`],
        ['PATCH', `/api/tasks/${task.id}`],
      ] as const) {
        await expectProblem(
          await raw(ann, method, path, JSON.stringify({ title: 'x' }), { 'content-type': type }),
          415,
          'unsupported_media_type',
        );
      }
    }
    expect(await countTasks(ann)).toBe(before);
    expect(await getTask(ann, task.id)).toEqual(task);
  });

  it('answers 415 for a body sent with no Content-Type', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ title: 'x' }));
    const before = await countTasks(ann);
    await expectProblem(await raw(ann, 'POST', '/api/tasks', body), 415, 'unsupported_media_type');
    expect(await countTasks(ann)).toBe(before);
  });

  it('accepts application/json with a charset and +json types', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/merge-patch+json']) {
      const response = await raw(ann, 'POST', '/api/tasks', JSON.stringify({ title: 'typed' }), {
        'content-type': type,
      });
      expect(response.status).toBe(201);
    }
  });
});

describe('413: a body over 64 KiB', () => {
  it('answers 413 for 64 KiB + 1 byte and for 1 MiB, and creates nothing', async () => {
    const before = await countTasks(ann);
    for (const bytes of [64 * 1024 + 1, 1024 * 1024]) {
      await expectProblem(
        await raw(ann, 'POST', '/api/tasks', bodyOf(bytes), JSON_TYPE),
        413,
        'payload_too_large',
      );
    }
    expect(await countTasks(ann)).toBe(before);
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const response = await raw(ann, 'POST', '/api/tasks', bodyOf(64 * 1024), JSON_TYPE);
    expect(response.status).toBe(201);
    expect((await readTask(response)).title).toBe('big');
  });

  it('judges the size from Content-Length over a real socket as well', async () => {
    const server = await listen(api.app);
    try {
      const send = (bytes: number) =>
        fetch(`${server.url}/api/tasks`, {
          method: 'POST',
          headers: { ...JSON_TYPE, authorization: `Bearer ${ann.jwt}` },
          body: bodyOf(bytes),
        });
      await expectProblem(await send(64 * 1024 + 1), 413, 'payload_too_large');
      const ok = await send(64 * 1024);
      expect(ok.status).toBe(201);
      await ok.body?.cancel();
    } finally {
      await server.close();
    }
  });
});

describe('412: If-Match does not name the current version', () => {
  /** Every conditional write on the task, in an order that ends with its deletion. */
  const writes = (id: number): [string, string, unknown][] => [
    ['PUT', `/api/tasks/${id}`, { title: 'Overwritten' }],
    ['PATCH', `/api/tasks/${id}`, { title: 'Overwritten' }],
    ['PATCH', `/api/tasks/${id}`, {}],
    ['PATCH', `/api/tasks/${id}/complete`, undefined],
    ['DELETE', `/api/tasks/${id}`, undefined],
  ];

  it('answers 412 to every write, an empty PATCH included, and writes nothing', async () => {
    const task = await buildTask(api, ann, { title: 'Guarded' });
    for (const ifMatch of ['"2"', '"0"', 'W/"1"', '1', 'garbage', '"2", "3"']) {
      for (const [method, path, body] of writes(task.id)) {
        await expectProblem(
          await api.json(method, path, ann, body, { 'if-match': ifMatch }),
          412,
          'version_mismatch',
        );
      }
    }
    expect(await getTask(ann, task.id)).toEqual(task);
  });

  it.each([
    ['the current version', (version: number) => `"${version}"`],
    ['a list holding the current version', (version: number) => `"${version + 6}", "${version}"`],
    ['*', () => '*'],
  ])('writes when If-Match is %s', async (_case, ifMatch) => {
    let current = await buildTask(api, ann, { title: 'Guarded' });
    const { id } = current;
    for (const [method, path, body] of writes(id)) {
      const ifMatchHeader = { 'if-match': ifMatch(current.version) };
      const response = await api.json(method, path, ann, body, ifMatchHeader);
      expect(response.status, `${method} ${path}`).toBe(method === 'DELETE' ? 204 : 200);
      if (method === 'DELETE') continue;
      const written = await readTask(response);
      // An empty PATCH changes nothing, its version included.
      if (JSON.stringify(body) === '{}') expect(written).toEqual(current);
      else expect(written.version).toBe(current.version + 1);
      expect(response.headers.get('etag')).toBe(`"${written.version}"`);
      current = written;
    }
    await expectProblem(await api.json('GET', `/api/tasks/${id}`, ann), 404, 'task_not_found');
  });
});

describe('no internals in any error body', () => {
  it('never answers a hostile request with a 5xx, a stack trace, SQL or the database name', async () => {
    const task = await buildTask(api, ann);
    const requests: [string, string, RequestInit['body'] | undefined, Record<string, string>][] = [
      ['GET', '/api/tasks/9999999999999999', undefined, {}],
      ['GET', `/api/tasks?q=${encodeURIComponent("' OR 1=1; --")}`, undefined, {}],
      ['GET', `/api/tasks?q=${encodeURIComponent('%\u0000')}`, undefined, {}],
      [
        'GET',
        '/api/tasks?tag=a&tag=b&tag=c&tag=d&tag=e&tag=f&tag=g&tag=h&tag=i&tag=j&tag=k',
        undefined,
        {},
      ],
      ['GET', '/api/tasks?limit=1e400', undefined, {}],
      [
        'GET',
        `/api/tasks?due_before=${encodeURIComponent('9999-12-31T23:59:59+14:00')}`,
        undefined,
        {},
      ],
      [
        'GET',
        `/api/tasks?cursor=${b64url({ p: ["'; DROP TABLE tasks; --", 1], f: 'x' })}`,
        undefined,
        {},
      ],
      ['POST', '/api/tasks', '{"title":"\\ud800"}', JSON_TYPE],
      ['POST', '/api/tasks', '{"title":"x","due_date":"0000-01-01"}', JSON_TYPE],
      ['POST', '/api/tasks', '{"title":"x","due_date":"275760-09-14"}', JSON_TYPE],
      ['POST', '/api/tasks', '{"title":{"$gt":""}}', JSON_TYPE],
      ['POST', '/api/tasks', '{"__proto__":{"admin":true},"title":"x"}', JSON_TYPE],
      ['POST', '/api/tasks', '\u0000', JSON_TYPE],
      ['PATCH', `/api/tasks/${task.id}`, '{"tags":[null]}', JSON_TYPE],
      ['PATCH', `/api/tasks/${task.id}`, '{}', { ...JSON_TYPE, 'if-match': '"99999999999"' }],
      ['PUT', `/api/tasks/${task.id}`, '{"title":"x","priority":null}', JSON_TYPE],
      ['DELETE', `/api/tasks/${task.id}`, undefined, { 'if-match': `"${'9'.repeat(40)}"` }],
    ];
    for (const [method, path, body, headers] of requests) {
      const response = await raw(ann, method, path, body, headers);
      const text = await response.text();
      expect(response.status, `${method} ${path} ${String(body)}: ${text}`).toBeLessThan(500);
      expectNoInternals(text);
      if (response.status >= 400) {
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
    }
    expect(await countRows(api.database.db, 'tasks')).toBeGreaterThan(0);
  });
});
