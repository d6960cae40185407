import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../test/support/api.js';
import { expectProblem } from '../../test/support/api-assertions.js';
import { buildTask, buildUser, insertUser } from '../../test/support/factories.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { TaskRepository } from './repository.js';
import { taskDefaults } from './task.js';

// A user stores at most MAX_TASKS_PER_USER tasks: one more is refused with 422
// task_limit_reached, checked in the same statement that inserts, so that concurrent creates
// cannot overshoot it.

const CAP = 3;

describe('MAX_TASKS_PER_USER', () => {
  it('defaults to 100000', () => {
    expect(loadConfig({}).MAX_TASKS_PER_USER).toBe(100_000);
    expect(() => loadConfig({ MAX_TASKS_PER_USER: '0' })).toThrow(/MAX_TASKS_PER_USER/);
  });
});

describe('the task cap on the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { MAX_TASKS_PER_USER: String(CAP) } });
  });
  afterAll(() => api.close());

  it('refuses the task after the cap with 422 task_limit_reached, and takes one after a delete', async () => {
    const user = await buildUser(api);
    const ids: number[] = [];
    for (let i = 0; i < CAP; i++) ids.push((await buildTask(api, user, { title: `task ${i}` })).id);
    await expectProblem(
      await api.json('POST', '/api/tasks', user, { title: 'one too many' }),
      422,
      'task_limit_reached',
    );

    // Another user has a cap of their own.
    const other = await buildUser(api);
    await buildTask(api, other, { title: 'mine' });

    expect((await api.json('DELETE', `/api/tasks/${ids[0]}`, user)).status).toBe(204);
    await buildTask(api, user, { title: 'room again' });
    const list = (await (await api.json('GET', '/api/tasks', user)).json()) as unknown[];
    expect(list).toHaveLength(CAP);
  });

  it('lets concurrent creates fill the cap exactly', async () => {
    const user = await buildUser(api);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.json('POST', '/api/tasks', user, { title: `racing ${i}` }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(CAP).fill(201), ...Array(12 - CAP).fill(422)]);
    const list = (await (await api.json('GET', '/api/tasks', user)).json()) as unknown[];
    expect(list).toHaveLength(CAP);
  });

  it('still answers the retry of a create that was made before the cap was reached', async () => {
    const user = await buildUser(api);
    const headers = { 'idempotency-key': 'create-once' };
    const first = await api.json('POST', '/api/tasks', user, { title: 'kept' }, headers);
    expect(first.status).toBe(201);
    for (let i = 1; i < CAP; i++) await buildTask(api, user, { title: `t${i}` });
    const retry = await api.json('POST', '/api/tasks', user, { title: 'kept' }, headers);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual(await first.json());
  });
});

describe.each(['server', 'embedded'] as const)('the task cap in the repository on %s', (kind) => {
  it('counts only the user’s own tasks and refuses one over the cap', async () => {
    const { db, close } = await openTestDatabase(kind);
    try {
      const [ann, bob] = [await insertUser(db), await insertUser(db)];
      const capped = new TaskRepository(db, { maxTasksPerUser: 2 });
      const fields = (title: string) => ({ ...taskDefaults, title });
      await capped.create(bob, fields('bob 1'));
      await capped.create(ann, fields('ann 1'));
      await capped.create(ann, fields('ann 2'));
      const refused = await capped.create(ann, fields('ann 3')).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).code).toBe('task_limit_reached');
      // Without a cap (the CLI, tests), nothing is refused.
      await new TaskRepository(db).create(ann, fields('ann 3'));
    } finally {
      await close();
    }
  });
});
