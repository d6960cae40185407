import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import type { TaskJson } from './task-json.js';

// If-Match makes PUT/PATCH/DELETE and the toggle conditional, so of two tabs
// writing from the same version exactly one wins and the other gets 412; Idempotency-Key
// makes a POST safe to retry, concurrently too: the same key and body give back the original
// response and create nothing, another body is 422 idempotency_key_reused, keys are per user.

let api: TestApi;
let ann: TestUser;
beforeAll(async () => {
  api = await startTestApi();
  ann = await api.signUp();
});
afterAll(() => api.close());

interface Reply {
  status: number;
  body: string;
  etag: string | null;
  location: string | null;
  contentType: string | null;
}

async function send(
  method: string,
  path: string,
  user: TestUser,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await api.json(method, path, user, body, headers);
  return {
    status: response.status,
    body: await response.text(),
    etag: response.headers.get('etag'),
    location: response.headers.get('location'),
    contentType: response.headers.get('content-type'),
  };
}

const taskOf = (reply: Reply) => JSON.parse(reply.body) as TaskJson;
const codeOf = (reply: Reply) => {
  expect(reply.contentType).toMatch(/^application\/problem\+json/);
  return (JSON.parse(reply.body) as { code: string }).code;
};

async function createTask(user: TestUser, body: Record<string, unknown>): Promise<TaskJson> {
  const reply = await send('POST', '/api/tasks', user, body);
  expect(reply.status).toBe(201);
  return taskOf(reply);
}

type TaskRow = {
  id: number | string;
  title: string;
  status: string;
  priority: number;
  tags: string[];
  version: number;
};

async function rowOf(user: TestUser, id: number): Promise<TaskRow | undefined> {
  const rows = await api.database.db.query<TaskRow>(
    'SELECT id, title, status, priority, tags, version FROM tasks WHERE user_id = $1 AND id = $2',
    [user.id, id],
  );
  return rows[0];
}

async function rowsOf(user: TestUser): Promise<TaskRow[]> {
  return api.database.db.query<TaskRow>(
    'SELECT id, title, status, priority, tags, version FROM tasks WHERE user_id = $1 ORDER BY id',
    [user.id],
  );
}

/** The two tabs use the two path families, so both are raced. */
const pathFor = (user: TestUser, tab: number, id: number, suffix = '') =>
  tab % 2 === 0 ? `/api/tasks/${id}${suffix}` : `/api/${user.id}/tasks/${id}${suffix}`;

const ROUNDS = 8;

describe('If-Match: of concurrent writes from the same version exactly one wins', () => {
  it('two PATCHes: one 200 at version + 1, one 412; the winner is what is stored', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const task = await createTask(ann, { title: `patch race ${round}` });
      const replies = await Promise.all(
        [0, 1].map((tab) =>
          send(
            'PATCH',
            pathFor(ann, tab, task.id),
            ann,
            { title: `tab ${tab}` },
            { 'if-match': '"1"' },
          ),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([200, 412]);
      const winner = replies.find((r) => r.status === 200)!;
      const loser = replies.find((r) => r.status === 412)!;
      expect(codeOf(loser)).toBe('version_mismatch');
      expect(taskOf(winner).version).toBe(2);
      expect(winner.etag).toBe('"2"');
      const row = await rowOf(ann, task.id);
      expect(row?.version).toBe(2);
      expect(row?.title).toBe(taskOf(winner).title);
    }
  });

  it('two PUTs: one 200 at version + 1, one 412; the winner replaced every field', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const task = await createTask(ann, {
        title: `put race ${round}`,
        priority: 'medium',
        tags: ['old'],
      });
      const bodies = [
        { title: 'tab 0', priority: 'high' },
        { title: 'tab 1', tags: ['new'] },
      ];
      const replies = await Promise.all(
        [0, 1].map((tab) =>
          send('PUT', pathFor(ann, tab, task.id), ann, bodies[tab], { 'if-match': '"1"' }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([200, 412]);
      const winnerTab = replies.findIndex((r) => r.status === 200);
      expect(codeOf(replies[1 - winnerTab]!)).toBe('version_mismatch');
      const row = await rowOf(ann, task.id);
      expect(row?.version).toBe(2);
      expect(row).toMatchObject(
        winnerTab === 0
          ? { title: 'tab 0', priority: 3, tags: [] }
          : { title: 'tab 1', priority: 0, tags: ['new'] },
      );
    }
  });

  it('two toggles: one 200 at version + 1, one 412; the task is toggled once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const task = await createTask(ann, { title: `toggle race ${round}` });
      const replies = await Promise.all(
        [0, 1].map((tab) =>
          send('PATCH', pathFor(ann, tab, task.id, '/complete'), ann, undefined, {
            'if-match': '"1"',
          }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([200, 412]);
      expect(codeOf(replies.find((r) => r.status === 412)!)).toBe('version_mismatch');
      expect(taskOf(replies.find((r) => r.status === 200)!)).toMatchObject({
        status: 'completed',
        completed: true,
        version: 2,
      });
      expect(await rowOf(ann, task.id)).toMatchObject({ status: 'completed', version: 2 });
    }
  });

  it('PATCH against DELETE: one wins, the other is refused, the row agrees with the winner', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const task = await createTask(ann, { title: `patch or delete ${round}` });
      const write = (kind: 'patch' | 'delete', tab: number) =>
        kind === 'patch'
          ? send(
              'PATCH',
              pathFor(ann, tab, task.id),
              ann,
              { title: 'patched' },
              { 'if-match': '"1"' },
            )
          : send('DELETE', pathFor(ann, tab, task.id), ann, undefined, { 'if-match': '"1"' });
      // Alternate which request is sent first.
      const [patch, remove] =
        round % 2 === 0
          ? await Promise.all([write('patch', round), write('delete', round + 1)])
          : await Promise.all([write('delete', round + 1), write('patch', round)]).then(
              ([d, p]) => [p, d] as const,
            );
      const row = await rowOf(ann, task.id);
      if (patch.status === 200) {
        // The patch won: the delete was made against a version that no longer exists.
        expect(remove.status).toBe(412);
        expect(codeOf(remove)).toBe('version_mismatch');
        expect(row).toMatchObject({ title: 'patched', version: 2 });
      } else {
        // The delete won: the task is gone, so the patch finds nothing (RFC 9110 §13.2.1:
        // preconditions are ignored when the answer without them would be 404).
        expect(remove.status).toBe(204);
        expect(patch.status).toBe(404);
        expect(codeOf(patch)).toBe('task_not_found');
        expect(row).toBeUndefined();
      }
    }
  });

  it('five concurrent writes of each kind from the same version: exactly one succeeds', async () => {
    const kinds = [
      (id: number, tab: number) =>
        send('PATCH', pathFor(ann, tab, id), ann, { priority: 'low' }, { 'if-match': '"1"' }),
      (id: number, tab: number) =>
        send('PUT', pathFor(ann, tab, id), ann, { title: `put ${tab}` }, { 'if-match': '"1"' }),
      (id: number, tab: number) =>
        send('PATCH', pathFor(ann, tab, id, '/complete'), ann, undefined, { 'if-match': '"1"' }),
      (id: number, tab: number) =>
        send('DELETE', pathFor(ann, tab, id), ann, undefined, { 'if-match': '"1"' }),
    ];
    for (const write of kinds) {
      const task = await createTask(ann, { title: 'five tabs' });
      const replies = await Promise.all([0, 1, 2, 3, 4].map((tab) => write(task.id, tab)));
      const ok = replies.filter((r) => r.status < 300);
      expect(ok).toHaveLength(1);
      const row = await rowOf(ann, task.id);
      const refused = replies.filter((r) => r.status >= 300).map((r) => r.status);
      if (ok[0]!.status === 204) {
        // Once deleted there is nothing left to be at a version: the others find nothing.
        expect(refused).toEqual([404, 404, 404, 404]);
        expect(row).toBeUndefined();
      } else {
        expect(refused).toEqual([412, 412, 412, 412]);
        expect(row?.version).toBe(2);
      }
    }
  });

  it('without If-Match concurrent writes all apply: no version increment is lost', async () => {
    const task = await createTask(ann, { title: 'unconditional' });
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, tab) =>
        send('PATCH', pathFor(ann, tab, task.id), ann, { description: `tab ${tab}` }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const versions = replies.map((r) => taskOf(r).version).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7]);
    expect((await rowOf(ann, task.id))?.version).toBe(7);
  });
});

describe('Idempotency-Key on POST', () => {
  const original = {
    title: '  Pay rent ',
    description: 'by transfer',
    priority: 'high',
    tags: ['Home', 'bills'],
    due_date: '2031-05-01',
  };

  it('five concurrent identical POSTs with one key: five identical 201s, one task', async () => {
    const user = await api.signUp();
    const key = 'rent-2031-05';
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        send('POST', '/api/tasks', user, original, { 'idempotency-key': key }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const first = replies[0]!;
    for (const reply of replies) {
      expect(reply.body).toBe(first.body);
      expect(reply.etag).toBe('"1"');
      expect(reply.location).toBe(first.location);
    }
    const task = taskOf(first);
    expect(task).toMatchObject({
      user_id: user.id,
      title: 'Pay rent',
      tags: ['home', 'bills'],
      due_date: '2031-05-01T00:00:00.000Z',
      version: 1,
    });
    expect(first.location).toBe(`/api/tasks/${task.id}`);
    const rows = await rowsOf(user);
    expect(rows.map((r) => Number(r.id))).toEqual([task.id]);
    const keys = await api.database.db.query<{ key: string }>(
      'SELECT key FROM idempotency_keys WHERE user_id = $1',
      [user.id],
    );
    expect(keys.map((k) => k.key)).toEqual([key]);

    // Later, the same request spelled differently (keys reordered, title padded otherwise,
    // tags in other cases and repeated, the date as a date-time): still the same request.
    const retry = await send(
      'POST',
      '/api/tasks',
      user,
      {
        due_date: '2031-05-01T00:00:00Z',
        tags: ['home', 'BILLS', 'Home'],
        priority: 'high',
        description: 'by transfer',
        title: '\tPay rent\n',
      },
      { 'idempotency-key': key },
    );
    expect(retry.status).toBe(201);
    expect(retry.body).toBe(first.body);
    // And through the other path family.
    const viaUserPath = await send('POST', `/api/${user.id}/tasks`, user, original, {
      'idempotency-key': key,
    });
    expect(viaUserPath.status).toBe(201);
    expect(taskOf(viaUserPath).id).toBe(task.id);
    expect(await rowsOf(user)).toHaveLength(1);
  });

  it('a retry returns the original response even after the task changed', async () => {
    const user = await api.signUp();
    const first = await send('POST', '/api/tasks', user, original, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);
    const id = taskOf(first).id;
    const patched = await send('PATCH', `/api/tasks/${id}`, user, { title: 'Paid' });
    expect(patched.status).toBe(200);
    const retry = await send('POST', '/api/tasks', user, original, { 'idempotency-key': 'k-1' });
    expect(retry.status).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(await rowsOf(user)).toMatchObject([{ title: 'Paid', version: 2 }]);
  });

  it('the same key with another body is 422 idempotency_key_reused and creates nothing', async () => {
    const user = await api.signUp();
    const first = await send('POST', '/api/tasks', user, original, { 'idempotency-key': 'k-2' });
    expect(first.status).toBe(201);
    for (const other of [
      { ...original, title: 'Pay the rent' },
      { ...original, priority: 'low' },
      { ...original, tags: ['home'] },
      { ...original, due_date: '2031-05-02' },
      { ...original, description: null },
      { ...original, status: 'in_progress' },
    ]) {
      const reply = await send('POST', '/api/tasks', user, other, { 'idempotency-key': 'k-2' });
      expect(reply.status, JSON.stringify(other)).toBe(422);
      expect(codeOf(reply)).toBe('idempotency_key_reused');
    }
    expect(await rowsOf(user)).toHaveLength(1);
  });

  it('concurrent POSTs with one key and different bodies: one 201, the rest 422', async () => {
    const user = await api.signUp();
    const replies = await Promise.all(
      ['one', 'two', 'three', 'four'].map((title) =>
        send('POST', '/api/tasks', user, { title }, { 'idempotency-key': 'k-3' }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 422, 422, 422]);
    for (const reply of replies.filter((r) => r.status === 422)) {
      expect(codeOf(reply)).toBe('idempotency_key_reused');
    }
    const winner = taskOf(replies.find((r) => r.status === 201)!);
    expect((await rowsOf(user)).map((r) => r.title)).toEqual([winner.title]);
  });

  it('keys are per user: the same key used by another user creates their own task', async () => {
    const [bob, cat] = [await api.signUp(), await api.signUp()];
    const [forBob, forCat] = await Promise.all([
      send('POST', '/api/tasks', bob, original, { 'idempotency-key': 'shared-key' }),
      send('POST', '/api/tasks', cat, original, { 'idempotency-key': 'shared-key' }),
    ]);
    expect([forBob.status, forCat.status]).toEqual([201, 201]);
    expect(taskOf(forBob).user_id).toBe(bob.id);
    expect(taskOf(forCat).user_id).toBe(cat.id);
    expect(taskOf(forBob).id).not.toBe(taskOf(forCat).id);
    expect(await rowsOf(bob)).toHaveLength(1);
    expect(await rowsOf(cat)).toHaveLength(1);
    // A retry by either user gets back their own task.
    const catAgain = await send('POST', '/api/tasks', cat, original, {
      'idempotency-key': 'shared-key',
    });
    expect(taskOf(catAgain).id).toBe(taskOf(forCat).id);
  });

  it('an invalid Idempotency-Key is 400 and creates nothing', async () => {
    const user = await api.signUp();
    for (const key of ['', 'x'.repeat(256), 'x'.repeat(300), 'has space', 'tab\there', 'é']) {
      const reply = await send('POST', '/api/tasks', user, original, { 'idempotency-key': key });
      expect(reply.status, JSON.stringify(key)).toBe(400);
      expect(codeOf(reply)).toBe('bad_request');
    }
    expect(await rowsOf(user)).toHaveLength(0);
    // The longest key allowed works.
    const longest = await send('POST', '/api/tasks', user, original, {
      'idempotency-key': 'k'.repeat(255),
    });
    expect(longest.status).toBe(201);
    expect(await rowsOf(user)).toHaveLength(1);
  });
});
