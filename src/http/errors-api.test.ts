import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authPost,
  listen,
  startTestApi,
  type TestApi,
  type TestUser,
} from '../../test/support/api.js';
import {
  expectNoInternals,
  expectProblem,
  expectValidationProblem,
  readTask,
  readTasks,
  withoutRequestId,
} from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import type { TaskJson } from '../tasks/task-json.js';

// Every row of the error table, each as an RFC 9457 problem with a stable code
// and the request id; and no error body ever carries a stack trace, SQL or a server name.

let api: TestApi;
let ann: TestUser;
let bob: TestUser;
beforeAll(async () => {
  api = await startTestApi();
  ann = await buildUser(api);
  bob = await buildUser(api);
});
afterAll(() => api.close());

async function createTask(user: TestUser, body: Record<string, unknown> = {}): Promise<TaskJson> {
  const response = await api.json('POST', '/api/tasks', user, { title: 'A task', ...body });
  expect(response.status).toBe(201);
  return readTask(response);
}

async function getTask(user: TestUser, id: number): Promise<TaskJson> {
  const response = await api.json('GET', `/api/tasks/${id}`, user);
  expect(response.status).toBe(200);
  return readTask(response);
}

async function taskCount(user: TestUser): Promise<number> {
  const [row] = await api.database.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM tasks WHERE user_id = $1',
    [user.id],
  );
  return row!.n;
}

/** A raw request with the user's JWT and whatever body and headers the test chooses. */
function raw(
  user: TestUser | undefined,
  method: string,
  path: string,
  body?: RequestInit['body'],
  headers: Record<string, string> = {},
): Promise<Response> {
  return api.request(path, {
    method,
    headers: { ...(user ? { authorization: `Bearer ${user.jwt}` } : {}), ...headers },
    body,
  });
}

/** Every authenticated route, in both path families where it has two. */
function everyRoute(userId: string, taskId: number): [string, string, unknown][] {
  const routes: [string, string, unknown][] = [
    ['GET', '/api/me', undefined],
    ['GET', '/api/me/export', undefined],
    ['DELETE', '/api/me', undefined],
  ];
  for (const base of ['/api/tasks', `/api/${userId}/tasks`]) {
    routes.push(
      ['GET', base, undefined],
      ['POST', base, { title: 'x' }],
      ['GET', `${base}/${taskId}`, undefined],
      ['PUT', `${base}/${taskId}`, { title: 'x' }],
      ['PATCH', `${base}/${taskId}`, { title: 'x' }],
      ['DELETE', `${base}/${taskId}`, undefined],
      ['PATCH', `${base}/${taskId}/complete`, undefined],
    );
  }
  return routes;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('401: no or invalid credentials', () => {
  it('answers 401 with WWW-Authenticate: Bearer on every route when no credentials are sent', async () => {
    const task = await createTask(ann);
    for (const [method, path, body] of everyRoute(ann.id, task.id)) {
      const response = await api.json(method, path, undefined, body);
      const problem = await expectProblem(response, 401, 'unauthorized');
      expect(response.headers.get('www-authenticate'), `${method} ${path}`).toBe('Bearer');
      expect(problem.errors).toBeUndefined();
    }
    expect(await getTask(ann, task.id)).toEqual(task);
  });

  it('answers 401 with WWW-Authenticate: Bearer for credentials that are not valid', async () => {
    const [header, payload, signature] = ann.jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: string })
      .kid;
    // A JWT claiming to be Bob, signed by a key of our own under the server's key id.
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect((await exportJWK(publicKey)).kty).toBe('OKP');
    const foreign = await new SignJWT({ ...claims, sub: bob.id })
      .setProtectedHeader({ alg: 'EdDSA', ...(kid ? { kid } : {}) })
      .sign(privateKey);
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'EdDSA', ...(kid ? { kid } : {}) })
      .sign(privateKey);
    const invalid: Record<string, string>[] = [
      { authorization: 'Bearer not-a-real-session-token' },
      { authorization: `Bearer ${ann.sessionToken}x` },
      { authorization: `Bearer ${header}.${b64url({ ...claims, sub: bob.id })}.${signature}` },
      { authorization: `Bearer ${header}.${payload}.${signature.slice(0, -4)}AAAA` },
      { authorization: `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.` },
      { authorization: `Bearer ${foreign}` },
      { authorization: `Bearer ${expired}` },
      { authorization: `Basic ${Buffer.from(`${ann.email}:${ann.password}`).toString('base64')}` },
      { authorization: 'Bearer' },
      { cookie: 'better-auth.session_token=forged.value' },
    ];
    for (const headers of invalid) {
      const response = await api.request('/api/tasks', { headers });
      const problem = await expectProblem(response, 401, 'unauthorized');
      expect(response.headers.get('www-authenticate'), JSON.stringify(headers)).toBe('Bearer');
      expect(problem.detail).not.toContain(bob.id);
    }
  });

  it('accepts each valid credential: JWT, bearer session token and session cookie', async () => {
    const valid: Record<string, string>[] = [
      { authorization: `Bearer ${ann.jwt}` },
      { authorization: `Bearer ${ann.sessionToken}` },
      { cookie: ann.cookie },
    ];
    for (const headers of valid) {
      expect((await api.request('/api/tasks', { headers })).status).toBe(200);
    }
  });
});

describe('403: {user_id} in the path is not the caller', () => {
  it('answers 403 forbidden on every route of the /api/{user_id}/tasks family', async () => {
    const task = await createTask(ann);
    const before = await taskCount(bob);
    for (const [method, path, body] of everyRoute(bob.id, task.id).filter(([, p]) =>
      p.startsWith(`/api/${bob.id}/`),
    )) {
      await expectProblem(await api.json(method, path, ann, body), 403, 'forbidden');
    }
    await expectProblem(await api.json('GET', '/api/someone-else/tasks', ann), 403, 'forbidden');
    expect(await taskCount(bob)).toBe(before);
    expect(await getTask(ann, task.id)).toEqual(task);
  });
});

describe('404: task does not exist or belongs to someone else', () => {
  it("returns 404, not 403, for another user's task, with the same body as a task that never existed", async () => {
    const task = await createTask(ann);
    const neverExisted = task.id + 1_000_000;
    const routes: [string, string, unknown][] = [
      ['GET', '', undefined],
      ['PUT', '', { title: 'x' }],
      ['PATCH', '', { title: 'x' }],
      ['DELETE', '', undefined],
      ['PATCH', '/complete', undefined],
    ];
    for (const [method, suffix, body] of routes) {
      const theirs = await expectProblem(
        await api.json(method, `/api/tasks/${task.id}${suffix}`, bob, body),
        404,
        'task_not_found',
      );
      const none = await expectProblem(
        await api.json(method, `/api/tasks/${neverExisted}${suffix}`, bob, body),
        404,
        'task_not_found',
      );
      expect(withoutRequestId(theirs)).toEqual(withoutRequestId(none));
      expect(theirs.request_id).not.toBe(none.request_id);
    }
    expect(await getTask(ann, task.id)).toEqual(task);
  });

  it('answers a route that does not exist with a 404 problem', async () => {
    await expectProblem(await api.json('GET', '/api/nothing-here', ann), 404, 'not_found');
  });
});

describe('400: malformed JSON, bad query parameter, bad cursor', () => {
  it('answers 400 malformed_json for a body that is not JSON', async () => {
    const task = await createTask(ann);
    for (const [method, path] of [
      ['POST', '/api/tasks'],
      ['PUT', `/api/tasks/${task.id}`],
      ['PATCH', `/api/tasks/${task.id}`],
      ['POST', `/api/${ann.id}/tasks`],
    ] as const) {
      for (const text of ['{"title": ', '{title: "x"}', "{'title':'x'}", 'not json']) {
        await expectProblem(
          await raw(ann, method, path, text, { 'content-type': 'application/json' }),
          400,
          'malformed_json',
        );
      }
    }
    expect(await getTask(ann, task.id)).toEqual(task);
  });

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

  it('answers 400 invalid_cursor for a garbage cursor', async () => {
    for (const cursor of [
      'garbage',
      '!!!',
      b64url({ p: ['2026-01-01T00:00:00.000Z', 1], f: 'forged' }),
      b64url([1, 2, 3]),
    ]) {
      await expectProblem(
        await api.json('GET', `/api/tasks?cursor=${encodeURIComponent(cursor)}`, ann),
        400,
        'invalid_cursor',
      );
    }
  });

  it('answers 400 invalid_cursor for a cursor made for another sort, order or filter', async () => {
    const user = await buildUser(api);
    for (const title of ['one', 'two', 'three']) await createTask(user, { title, tags: ['t'] });
    const first = await api.json('GET', '/api/tasks?sort=title&limit=1', user);
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const c = encodeURIComponent(cursor!);
    for (const query of [
      `sort=created_at&cursor=${c}`,
      `cursor=${c}`,
      `sort=title&order=desc&cursor=${c}`,
      `sort=title&tag=t&cursor=${c}`,
      `sort=title&q=o&cursor=${c}`,
    ]) {
      await expectProblem(
        await api.json('GET', `/api/tasks?${query}`, user),
        400,
        'invalid_cursor',
      );
    }
    // The limit may change between pages.
    const next = await api.json('GET', `/api/tasks?sort=title&limit=5&cursor=${c}`, user);
    expect(next.status).toBe(200);
    expect((await readTasks(next)).map((t) => t.title)).toEqual(['three', 'two']);
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
    const before = await taskCount(ann);
    await expectValidationProblem(await api.json('POST', '/api/tasks', ann, body), [path]);
    expect(await taskCount(ann)).toBe(before);
  });

  it('accepts the boundaries: 200-character title, 1000-character description, 10 tags of 32', async () => {
    const task = await createTask(ann, {
      title: long(200),
      description: long(1000),
      tags: Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(32, 'x')),
    });
    expect(task.title).toHaveLength(200);
    expect(task.description).toHaveLength(1000);
    expect(task.tags).toHaveLength(10);
  });

  it('measures a tag after lower-casing: one that grows past 32 characters is a 422 naming the tag', async () => {
    // 'İ' (U+0130) lower-cases to two code points, so 32 of them become a 64-character tag.
    const before = await taskCount(ann);
    const problem = await expectProblem(
      await api.json('POST', '/api/tasks', ann, { title: 't', tags: ['\u0130'.repeat(32)] }),
      422,
      'validation_failed',
    );
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const error of problem.errors!) expect(error.path).toMatch(/^tags(\.\d+)?$/);
    expect(JSON.stringify(problem)).not.toContain('tasks_tags_check');
    expect(await taskCount(ann)).toBe(before);
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
    const task = await createTask(ann, { title: 'Unchanged' });
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
    const task = await createTask(ann, { title: 'Read-only fields' });
    const readOnly: Record<string, unknown> = {
      id: task.id + 1000,
      user_id: bob.id,
      created_at: '2000-01-01T00:00:00.000Z',
      updated_at: '2000-01-01T00:00:00.000Z',
      completed_at: '2000-01-01T00:00:00.000Z',
      version: 99,
    };
    const annBefore = await taskCount(ann);
    const bobBefore = await taskCount(bob);
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
    expect(await taskCount(ann)).toBe(annBefore);
    expect(await taskCount(bob)).toBe(bobBefore);
  });

  it('answers 422 with every failing field listed', async () => {
    const problem = await expectValidationProblem(
      await api.json('POST', '/api/tasks', ann, { title: '', priority: 'urgent', colour: 'x' }),
      ['title', 'priority', 'colour'],
    );
    expect(problem.errors!.length).toBeGreaterThanOrEqual(3);
  });
});

describe('415: wrong Content-Type on a body', () => {
  it('answers 415 for text/plain and other non-JSON types', async () => {
    const task = await createTask(ann);
    const before = await taskCount(ann);
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
    expect(await taskCount(ann)).toBe(before);
    expect(await getTask(ann, task.id)).toEqual(task);
  });

  it('answers 415 for a body sent with no Content-Type', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ title: 'x' }));
    const before = await taskCount(ann);
    const response = await raw(ann, 'POST', '/api/tasks', body);
    await expectProblem(response, 415, 'unsupported_media_type');
    expect(await taskCount(ann)).toBe(before);
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

describe('413: body over 64 KiB', () => {
  /** A valid JSON body of exactly `bytes` bytes: a title padded with white space. */
  const bodyOf = (bytes: number) => {
    const head = '{"title":"big"';
    const text = `${head}${' '.repeat(bytes - head.length - 1)}}`;
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  };
  const json = { 'content-type': 'application/json' };

  it('answers 413 for a body of 64 KiB + 1 byte and creates nothing', async () => {
    const before = await taskCount(ann);
    await expectProblem(
      await raw(ann, 'POST', '/api/tasks', bodyOf(64 * 1024 + 1), json),
      413,
      'payload_too_large',
    );
    await expectProblem(
      await raw(ann, 'POST', '/api/tasks', bodyOf(1024 * 1024), json),
      413,
      'payload_too_large',
    );
    expect(await taskCount(ann)).toBe(before);
  });

  it('accepts a body of exactly 64 KiB (not 413)', async () => {
    const response = await raw(ann, 'POST', '/api/tasks', bodyOf(64 * 1024), json);
    expect(response.status).toBe(201);
    expect((await readTask(response)).title).toBe('big');
  });

  it('judges the size from Content-Length over a real socket as well', async () => {
    const server = await listen(api.app);
    try {
      const send = (bytes: number) =>
        fetch(`${server.url}/api/tasks`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${ann.jwt}` },
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

describe('412: If-Match does not match the current version', () => {
  const writes = (id: number): [string, string, unknown][] => [
    ['PUT', `/api/tasks/${id}`, { title: 'Overwritten' }],
    ['PATCH', `/api/tasks/${id}`, { title: 'Overwritten' }],
    ['PATCH', `/api/tasks/${id}/complete`, undefined],
    ['DELETE', `/api/tasks/${id}`, undefined],
  ];

  it('answers 412 on PUT, PATCH, toggle and DELETE when If-Match names another version, and writes nothing', async () => {
    const task = await createTask(ann, { title: 'Guarded' });
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

  it('answers 412 to an empty PATCH whose If-Match names another version', async () => {
    const task = await createTask(ann, { title: 'Empty patch' });
    await expectProblem(
      await api.json('PATCH', `/api/tasks/${task.id}`, ann, {}, { 'if-match': '"2"' }),
      412,
      'version_mismatch',
    );
    const ok = await api.json('PATCH', `/api/tasks/${task.id}`, ann, {}, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(await readTask(ok)).toEqual(task);
  });

  it('writes when If-Match names the current version', async () => {
    const task = await createTask(ann, { title: 'Guarded' });
    let version = task.version;
    for (const [method, path, body] of writes(task.id)) {
      const response = await api.json(method, path, ann, body, { 'if-match': `"${version}"` });
      expect(response.status, `${method} ${path}`).toBe(method === 'DELETE' ? 204 : 200);
      if (method !== 'DELETE') {
        const updated = await readTask(response);
        expect(updated.version).toBe(version + 1);
        expect(response.headers.get('etag')).toBe(`"${version + 1}"`);
        version = updated.version;
      }
    }
    await expectProblem(await api.json('GET', `/api/tasks/${task.id}`, ann), 404);
  });

  it('writes when If-Match lists the current version among others', async () => {
    const task = await createTask(ann);
    const response = await api.json(
      'PATCH',
      `/api/tasks/${task.id}`,
      ann,
      { priority: 'low' },
      {
        'if-match': '"7", "1"',
      },
    );
    expect(response.status).toBe(200);
    expect((await readTask(response)).priority).toBe('low');
  });

  it('writes when If-Match is * and the task exists', async () => {
    const task = await createTask(ann, { title: 'Star' });
    for (const [method, path, body] of writes(task.id)) {
      const response = await api.json(method, path, ann, body, { 'if-match': '*' });
      expect(response.status, `${method} ${path}`).toBe(method === 'DELETE' ? 204 : 200);
    }
  });

  it('answers 412 to the second of two writers that read the same version', async () => {
    const task = await createTask(ann, { title: 'Two tabs' });
    const etag = `"${task.version}"`;
    const first = await api.json(
      'PATCH',
      `/api/tasks/${task.id}`,
      ann,
      { title: 'Tab one' },
      {
        'if-match': etag,
      },
    );
    expect(first.status).toBe(200);
    await expectProblem(
      await api.json(
        'PATCH',
        `/api/tasks/${task.id}`,
        ann,
        { title: 'Tab two' },
        {
          'if-match': etag,
        },
      ),
      412,
      'version_mismatch',
    );
    expect((await getTask(ann, task.id)).title).toBe('Tab one');
  });
});

describe('Idempotency-Key', () => {
  it('answers 422 idempotency_key_reused for the same key with a different body, creating nothing', async () => {
    const key = `key-${Date.now()}`;
    const first = await api.json(
      'POST',
      '/api/tasks',
      ann,
      { title: 'Once' },
      {
        'idempotency-key': key,
      },
    );
    expect(first.status).toBe(201);
    const original = await readTask(first);
    const before = await taskCount(ann);

    const retry = await api.json(
      'POST',
      '/api/tasks',
      ann,
      { title: 'Once' },
      {
        'idempotency-key': key,
      },
    );
    expect(retry.status).toBe(201);
    expect(await readTask(retry)).toEqual(original);

    const problem = await expectProblem(
      await api.json('POST', '/api/tasks', ann, { title: 'Twice' }, { 'idempotency-key': key }),
      422,
      'idempotency_key_reused',
    );
    expect(problem.type).toBe('/problems/idempotency_key_reused');
    expect(await taskCount(ann)).toBe(before);
  });

  it('keeps keys per user: another user with the same key gets a task of their own', async () => {
    const key = `shared-${Date.now()}`;
    const mine = await readTask(
      await api.json('POST', '/api/tasks', ann, { title: 'Mine' }, { 'idempotency-key': key }),
    );
    const response = await api.json(
      'POST',
      '/api/tasks',
      bob,
      { title: 'Mine' },
      {
        'idempotency-key': key,
      },
    );
    expect(response.status).toBe(201);
    const theirs = await readTask(response);
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.user_id).toBe(bob.id);
  });

  it('answers 400 for a key that is not 1..255 visible ASCII characters', async () => {
    for (const key of ['has space', 'x'.repeat(256)]) {
      await expectProblem(
        await api.json('POST', '/api/tasks', ann, { title: 't' }, { 'idempotency-key': key }),
        400,
        'bad_request',
      );
    }
  });
});

describe('429: rate limited', () => {
  let limited: TestApi;
  beforeAll(async () => {
    limited = await startTestApi({
      env: {
        AUTH_RATE_LIMIT: 'on',
        AUTH_RATE_LIMIT_MAX: '3',
        AUTH_RATE_LIMIT_WINDOW_SECONDS: '60',
      },
    });
  });
  afterAll(() => limited.close());

  it('answers 429 with Retry-After (positive whole seconds) to repeated failed sign-ins', async () => {
    const user = await buildUser(limited);
    const statuses: number[] = [];
    let limitedResponse: Response | undefined;
    for (let attempt = 0; attempt < 10 && !limitedResponse; attempt++) {
      const response = await authPost(limited, '/api/auth/sign-in/email', {
        email: user.email,
        password: 'wrong-password-123',
      });
      statuses.push(response.status);
      if (response.status === 429) limitedResponse = response;
      else await response.body?.cancel();
    }
    expect(limitedResponse, `statuses: ${statuses.join(',')}`).toBeDefined();
    // Failures before the limit say nothing about which part was wrong (and are never 5xx).
    for (const status of statuses.slice(0, -1)) expect(status).toBe(401);
    const retryAfter = limitedResponse!.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expectNoInternals(await limitedResponse!.text());
  });
});

describe('no internals in any error body', () => {
  it('never answers a hostile request with a 5xx, a stack trace, SQL or the database name', async () => {
    const task = await createTask(ann);
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
      ['POST', '/api/tasks', '{"title":"\\ud800"}', { 'content-type': 'application/json' }],
      [
        'POST',
        '/api/tasks',
        '{"title":"x","due_date":"0000-01-01"}',
        { 'content-type': 'application/json' },
      ],
      [
        'POST',
        '/api/tasks',
        '{"title":"x","due_date":"275760-09-14"}',
        { 'content-type': 'application/json' },
      ],
      ['POST', '/api/tasks', '{"title":{"$gt":""}}', { 'content-type': 'application/json' }],
      [
        'POST',
        '/api/tasks',
        '{"__proto__":{"admin":true},"title":"x"}',
        { 'content-type': 'application/json' },
      ],
      ['POST', '/api/tasks', '\u0000', { 'content-type': 'application/json' }],
      ['PATCH', `/api/tasks/${task.id}`, '{"tags":[null]}', { 'content-type': 'application/json' }],
      [
        'PATCH',
        `/api/tasks/${task.id}`,
        '{}',
        { 'content-type': 'application/json', 'if-match': '"99999999999"' },
      ],
      [
        'PUT',
        `/api/tasks/${task.id}`,
        '{"title":"x","priority":null}',
        { 'content-type': 'application/json' },
      ],
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
    expect(await api.database.db.query('SELECT 1 FROM tasks LIMIT 1')).toHaveLength(1);
  });
});
