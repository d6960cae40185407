import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import type { TaskJson } from './task-json.js';

// If-Match makes PUT/PATCH/DELETE and the toggle conditional, so of two tabs
// writing from the same version exactly one wins and the other gets 412; Idempotency-Key
// makes a POST safe to retry, concurrently too: the same key and body give back the original
// response and create nothing, another body is 422 idempotency_key_reused, keys are per user.

let api: TestApi;
let ann: TestUser;
beforeAll(async () => {
  api = await startTestApi();
  ann = await buildUser(api);
});
afterAll(() => api.close());

interface Reply {
  status: number;
  body: string;
  etag: string | null;
  location: string | null;
  contentType: string | null;
}

/** All of an answer that racing clients compare, read at once. */
async function replyOf(response: Response): Promise<Reply> {
  return {
    status: response.status,
    body: await response.text(),
    etag: response.headers.get('etag'),
    location: response.headers.get('location'),
    contentType: response.headers.get('content-type'),
  };
}

/** One tab's write, made from version 1 of the task. */
const fromVersion1 = (method: string, path: string, body?: unknown) =>
  api.json(method, path, ann, body, { 'if-match': '"1"' }).then(replyOf);

/** A create sent with an Idempotency-Key. */
const postWithKey = (user: TestUser, body: unknown, key: string, path = '/api/tasks') =>
  api.json('POST', path, user, body, { 'idempotency-key': key }).then(replyOf);

const taskOf = (reply: Reply) => JSON.parse(reply.body) as TaskJson;
const codeOf = (reply: Reply) => {
  expect(reply.contentType).toMatch(/^application\/problem\+json/);
  return (JSON.parse(reply.body) as { code: string }).code;
};

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
      const task = await buildTask(api, ann, { title: `patch race ${round}` });
      const replies = await Promise.all(
        [0, 1].map((tab) =>
          fromVersion1('PATCH', pathFor(ann, tab, task.id), { title: `tab ${tab}` }),
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
      const task = await buildTask(api, ann, {
        title: `put race ${round}`,
        priority: 'medium',
        tags: ['old'],
      });
      const bodies = [
        { title: 'tab 0', priority: 'high' },
        { title: 'tab 1', tags: ['new'] },
      ];
      const replies = await Promise.all(
        [0, 1].map((tab) => fromVersion1('PUT', pathFor(ann, tab, task.id), bodies[tab])),
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
      const task = await buildTask(api, ann, { title: `toggle race ${round}` });
      const replies = await Promise.all(
        [0, 1].map((tab) => fromVersion1('PATCH', pathFor(ann, tab, task.id, '/complete'))),
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
      const task = await buildTask(api, ann, { title: `patch or delete ${round}` });
      const write = (kind: 'patch' | 'delete', tab: number) =>
        kind === 'patch'
          ? fromVersion1('PATCH', pathFor(ann, tab, task.id), { title: 'patched' })
          : fromVersion1('DELETE', pathFor(ann, tab, task.id));
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
        fromVersion1('PATCH', pathFor(ann, tab, id), { priority: 'low' }),
      (id: number, tab: number) =>
        fromVersion1('PUT', pathFor(ann, tab, id), { title: `put ${tab}` }),
      (id: number, tab: number) => fromVersion1('PATCH', pathFor(ann, tab, id, '/complete')),
      (id: number, tab: number) => fromVersion1('DELETE', pathFor(ann, tab, id)),
    ];
    for (const write of kinds) {
      const task = await buildTask(api, ann, { title: 'five tabs' });
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
    const task = await buildTask(api, ann, { title: 'unconditional' });
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, tab) =>
        api
          .json('PATCH', pathFor(ann, tab, task.id), ann, { description: `tab ${tab}` })
          .then(replyOf),
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
    const user = await buildUser(api);
    const key = 'rent-2031-05';
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => postWithKey(user, original, key)),
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
    const retry = await postWithKey(
      user,
      {
        due_date: '2031-05-01T00:00:00Z',
        tags: ['home', 'BILLS', 'Home'],
        priority: 'high',
        description: 'by transfer',
        title: '\tPay rent\n',
      },
      key,
    );
    expect(retry.status).toBe(201);
    expect(retry.body).toBe(first.body);
    // And through the other path family.
    const viaUserPath = await postWithKey(user, original, key, `/api/${user.id}/tasks`);
    expect(viaUserPath.status).toBe(201);
    expect(taskOf(viaUserPath).id).toBe(task.id);
    expect(await rowsOf(user)).toHaveLength(1);
  });

  it('a retry returns the original response even after the task changed', async () => {
    const user = await buildUser(api);
    const first = await postWithKey(user, original, 'k-1');
    expect(first.status).toBe(201);
    const id = taskOf(first).id;
    expect((await api.json('PATCH', `/api/tasks/${id}`, user, { title: 'Paid' })).status).toBe(200);
    const retry = await postWithKey(user, original, 'k-1');
    expect(retry.status).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(await rowsOf(user)).toMatchObject([{ title: 'Paid', version: 2 }]);
  });

  it('the same key with another body is 422 idempotency_key_reused and creates nothing', async () => {
    const user = await buildUser(api);
    const first = await postWithKey(user, original, 'k-2');
    expect(first.status).toBe(201);
    for (const other of [
      { ...original, title: 'Pay the rent' },
      { ...original, priority: 'low' },
      { ...original, tags: ['home'] },
      { ...original, due_date: '2031-05-02' },
      { ...original, description: null },
      { ...original, status: 'in_progress' },
    ]) {
      const reply = await postWithKey(user, other, 'k-2');
      expect(reply.status, JSON.stringify(other)).toBe(422);
      expect(codeOf(reply)).toBe('idempotency_key_reused');
    }
    expect(await rowsOf(user)).toHaveLength(1);
  });

  it('concurrent POSTs with one key and different bodies: one 201, the rest 422', async () => {
    const user = await buildUser(api);
    const replies = await Promise.all(
      ['one', 'two', 'three', 'four'].map((title) => postWithKey(user, { title }, 'k-3')),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 422, 422, 422]);
    for (const reply of replies.filter((r) => r.status === 422)) {
      expect(codeOf(reply)).toBe('idempotency_key_reused');
    }
    const winner = taskOf(replies.find((r) => r.status === 201)!);
    expect((await rowsOf(user)).map((r) => r.title)).toEqual([winner.title]);
  });

  it('keys are per user: the same key used by another user creates their own task', async () => {
    const [bob, cat] = [await buildUser(api), await buildUser(api)];
    const [forBob, forCat] = await Promise.all([
      postWithKey(bob, original, 'shared-key'),
      postWithKey(cat, original, 'shared-key'),
    ]);
    expect([forBob.status, forCat.status]).toEqual([201, 201]);
    expect(taskOf(forBob).user_id).toBe(bob.id);
    expect(taskOf(forCat).user_id).toBe(cat.id);
    expect(taskOf(forBob).id).not.toBe(taskOf(forCat).id);
    expect(await rowsOf(bob)).toHaveLength(1);
    expect(await rowsOf(cat)).toHaveLength(1);
    // A retry by either user gets back their own task.
    const catAgain = await postWithKey(cat, original, 'shared-key');
    expect(taskOf(catAgain).id).toBe(taskOf(forCat).id);
  });

  it('an invalid Idempotency-Key is 400 and creates nothing', async () => {
    const user = await buildUser(api);
    for (const key of ['', 'x'.repeat(256), 'x'.repeat(300), 'has space', 'tab\there', 'é']) {
      const reply = await postWithKey(user, original, key);
      expect(reply.status, JSON.stringify(key)).toBe(400);
      expect(codeOf(reply)).toBe('bad_request');
    }
    expect(await rowsOf(user)).toHaveLength(0);
    // The longest key allowed works.
    const longest = await postWithKey(user, original, 'k'.repeat(255));
    expect(longest.status).toBe(201);
    expect(await rowsOf(user)).toHaveLength(1);
  });
});
