import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import {
  type AppClient,
  authPost,
  type TestUser,
  testApp,
  testConfig,
} from '../../test/support/api.js';
import { expectProblem } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import { captureLogs, type LogLine } from '../../test/support/logs.js';
import { silentLogger } from '../../test/support/test-database.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { Migrator } from '../db/migrator.js';
import { openDatabase } from '../db/open-database.js';
import { type RunningServer, startServer } from '../server.js';
import type { TaskJson } from '../tasks/task-json.js';
import { Metrics } from './metrics.js';

// While PostgreSQL is down, requests that need it
// get 503 + Retry-After + a problem body (a session token cannot be checked: 503, not 401),
// the process does not crash, and it recovers by itself when the database comes back.
// The test runs its own throwaway PostgreSQL cluster so it can stop and start it at will.

const CONNECT_TIMEOUT_MS = 2_000;
/** Connect timeout plus margin: an answer during the outage must come at least this fast. */
const ANSWER_WITHIN_MS = 5_000;
const RECOVER_WITHIN_MS = 10_000;
const APP_ROLE = 'todo_app';
const DATABASE = 'todo';

interface Answer {
  response: Response;
  ms: number;
}

/** The pg pool behind a server Database (openDatabase hides it behind the interface). */
function poolOf(db: Database): pg.Pool {
  const pool = (db as Database & { pool?: unknown }).pool;
  if (!(pool instanceof pg.Pool)) throw new Error('not a server database');
  return pool;
}

/** A request that must answer within `ANSWER_WITHIN_MS`; its time is measured. */
async function timed(send: () => Promise<Response>): Promise<Answer> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${3 * ANSWER_WITHIN_MS} ms`)),
      3 * ANSWER_WITHIN_MS,
    );
  });
  try {
    const response = await Promise.race([send(), deadline]);
    return { response, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** A 503 database_unavailable problem with Retry-After, naming no address, in good time. */
async function expectUnavailableProblem({ response, ms }: Answer): Promise<void> {
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  const problem = await expectProblem(response, 503, 'database_unavailable');
  expect(problem.detail).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
  expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
}

/** Polls until `send` answers `status`; returns the last answer and how long it took. */
async function waitForStatus(
  send: () => Promise<Response>,
  status: number,
  withinMs = RECOVER_WITHIN_MS,
): Promise<{ response: Response; ms: number; attempts: number }> {
  const started = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const { response } = await timed(send);
    const ms = performance.now() - started;
    if (response.status === status || ms > withinMs) return { response, ms, attempts };
    await response.body?.cancel();
    await sleep(100);
  }
}

describe('database outage: 503 while PostgreSQL is down, recovery without a restart', () => {
  let cluster: PostgresCluster | undefined;
  let config: Config;
  let db: Database | undefined;
  let client: AppClient;
  const log = captureLogs('warn');
  let server: RunningServer | undefined;
  let user: TestUser;
  let task: TaskJson;
  const timings: Record<string, number> = {};

  const unhandledRejection = vi.fn();
  const uncaughtException = vi.fn();

  const request = (path: string, init?: RequestInit) => client.request(path, init);
  const withJwt = (method: string, path: string, body?: unknown) =>
    client.json(method, path, user, body);
  const lost = (logs: { lines: LogLine[] }) =>
    logs.lines.filter((line) => line.msg === 'database connection lost').length;

  const liveCluster = (): PostgresCluster => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', unhandledRejection);
    process.on('uncaughtException', uncaughtException);

    cluster = await createPostgresCluster();
    await cluster.start();
    await cluster.query(`CREATE DATABASE ${DATABASE}`);
    await cluster.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS`);

    // Migrate as the superuser, then let the app in as a role that row-level security binds.
    const admin = await openDatabase(testConfig(cluster.urlFor(DATABASE)), {
      logger: silentLogger,
    });
    try {
      await new Migrator(admin).migrate();
      // The migrations grant the runtime's rights to this group role.
      await admin.exec(`GRANT todo_runtime TO ${APP_ROLE}`);
    } finally {
      await admin.close();
    }

    config = testConfig(cluster.urlFor(DATABASE, APP_ROLE), {
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_CONNECT_RETRIES: '0',
    });
    const metrics = new Metrics();
    db = await openDatabase(config, { logger: log.logger, observer: metrics.dbObserver });
    client = testApp(config, db, { logger: log.logger, metrics });
    user = await buildUser(client);
  }, 120_000);

  afterAll(async () => {
    try {
      await server?.close();
      await db?.close();
    } finally {
      await cluster?.destroy();
      process.off('unhandledRejection', unhandledRejection);
      process.off('uncaughtException', uncaughtException);
      if (Object.keys(timings).length > 0) {
        console.info(
          'database outage timings (ms):',
          Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
        );
      }
    }
  }, 120_000);

  it('serves while the database is up', async () => {
    const list = await withJwt('GET', '/api/tasks');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual([]);

    const created = await withJwt('POST', '/api/tasks', { title: 'Written before the outage' });
    expect(created.status).toBe(201);
    task = (await created.json()) as TaskJson;
    expect(task).toMatchObject({ title: 'Written before the outage', user_id: user.id });

    const bySession = await request('/api/tasks', {
      headers: { authorization: `Bearer ${user.sessionToken}` },
    });
    expect(bySession.status).toBe(200);
    expect((await request('/readyz')).status).toBe(200);
    // The pool keeps idle connections that the shutdown is about to kill under it.
    expect(poolOf(db!).idleCount).toBeGreaterThan(0);
  }, 120_000);

  it('answers 503 with Retry-After and a problem body while the database is down, and does not crash', async () => {
    const pool = poolOf(db!);
    // Only the service's own listener: nothing of ours may swallow a pool error for it.
    expect(pool.listenerCount('error')).toBe(1);
    const lostBefore = lost(log);

    await liveCluster().stop('fast');

    // Idle connections died under the pool: its 'error' event reached the service's handler.
    await expect.poll(() => lost(log), { timeout: 5_000 }).toBeGreaterThan(lostBefore);

    const list = await timed(() => withJwt('GET', '/api/tasks'));
    await expectUnavailableProblem(list);
    timings['503 GET /api/tasks (jwt)'] = list.ms;

    const create = await timed(() => withJwt('POST', '/api/tasks', { title: 'During the outage' }));
    await expectUnavailableProblem(create);
    timings['503 POST /api/tasks (jwt)'] = create.ms;

    const one = await timed(() => withJwt('GET', `/api/tasks/${task.id}`));
    await expectUnavailableProblem(one);
    timings['503 GET /api/tasks/{id} (jwt)'] = one.ms;

    // A session token cannot be checked without the database: 503, not 401.
    const bySession = await timed(() =>
      request('/api/tasks', { headers: { authorization: `Bearer ${user.sessionToken}` } }),
    );
    await expectUnavailableProblem(bySession);
    timings['503 GET /api/tasks (session token)'] = bySession.ms;

    const byCookie = await timed(() => request('/api/tasks', { headers: { cookie: user.cookie } }));
    await expectUnavailableProblem(byCookie);
    timings['503 GET /api/tasks (cookie)'] = byCookie.ms;

    // Better Auth's own endpoints keep their JSON shape, but say 503 with Retry-After.
    const signIn = await timed(() =>
      authPost(client, '/api/auth/sign-in/email', { email: user.email, password: user.password }),
    );
    expect(signIn.response.status, await signIn.response.clone().text()).toBe(503);
    expect(signIn.response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(signIn.ms).toBeLessThan(ANSWER_WITHIN_MS);
    timings['503 POST /api/auth/sign-in/email'] = signIn.ms;

    const ready = await timed(() => request('/readyz'));
    expect(ready.response.status).toBe(503);
    expect(ready.response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(ready.ms).toBeLessThan(ANSWER_WITHIN_MS);
    timings['503 /readyz'] = ready.ms;

    const health = await timed(() => request('/healthz'));
    expect(health.response.status).toBe(200);
    expect(await health.response.json()).toEqual({ status: 'ok' });

    // Still 503 (not a hang, not a 500) on a second round, once the pool has no connection.
    const again = await timed(() => withJwt('GET', '/api/tasks'));
    await expectUnavailableProblem(again);
    expect(pool.waitingCount).toBe(0);

    expect(unhandledRejection).not.toHaveBeenCalled();
    expect(uncaughtException).not.toHaveBeenCalled();
  }, 120_000);

  it('answers 503, not 401, to a JWT when the signing keys are not cached yet', async () => {
    // A fresh instance has never loaded its JWKS; loading it needs the (down) database.
    const cold = testApp(config, db!, { logger: log.logger });
    const answer = await timed(() => cold.json('GET', '/api/tasks', user));
    await expectUnavailableProblem(answer);
    timings['503 GET /api/tasks (jwt, cold key cache)'] = answer.ms;
    expect(unhandledRejection).not.toHaveBeenCalled();
  }, 120_000);

  it('recovers by itself when the database comes back, without restarting the app', async () => {
    const startedAt = performance.now();
    await liveCluster().start();
    timings['pg_ctl start'] = performance.now() - startedAt;

    const recovered = await waitForStatus(() => withJwt('GET', '/api/tasks'), 200);
    timings['recovery after pg_ctl start returned'] = recovered.ms;
    expect(recovered.response.status, await recovered.response.clone().text()).toBe(200);
    const tasks = (await recovered.response.json()) as TaskJson[];
    expect(tasks.map((t) => t.id)).toEqual([task.id]);
    expect(tasks[0]!.title).toBe('Written before the outage');

    const created = await withJwt('POST', '/api/tasks', { title: 'Written after the outage' });
    expect(created.status, await created.clone().text()).toBe(201);
    const one = await withJwt('GET', `/api/tasks/${task.id}`);
    expect(one.status).toBe(200);

    const bySession = await request('/api/tasks', {
      headers: { authorization: `Bearer ${user.sessionToken}` },
    });
    expect(bySession.status).toBe(200);
    expect(((await bySession.json()) as TaskJson[]).length).toBe(2);

    const ready = await request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'server' });

    expect(unhandledRejection).not.toHaveBeenCalled();
    expect(uncaughtException).not.toHaveBeenCalled();
  }, 120_000);

  it('keeps a real listening server up through a crash of the database, and recovers', async () => {
    const serverLog = captureLogs('warn');
    server = await startServer(
      testConfig(config.DATABASE_URL!, {
        BETTER_AUTH_SECRET: config.BETTER_AUTH_SECRET!,
        DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        // The app's role may not create tables; the schema is already migrated.
        MIGRATE_ON_START: 'false',
        HOST: '127.0.0.1',
        PORT: '0',
      }),
      serverLog.logger,
    );
    const origin = `http://127.0.0.1:${server.port}`;
    const get = (path: string, authorization = `Bearer ${user.jwt}`) =>
      fetch(`${origin}${path}`, {
        headers: { authorization },
        signal: AbortSignal.timeout(3 * ANSWER_WITHIN_MS),
      });

    const before = await get('/api/tasks');
    expect(before.status).toBe(200);
    expect(((await before.json()) as TaskJson[]).length).toBe(2);

    // immediate: no shutdown checkpoint, the next start runs crash recovery.
    await liveCluster().stop('immediate');
    // Its idle connections were cut: the server's own pool handler logged it, nothing threw.
    await expect.poll(() => lost(serverLog), { timeout: 5_000 }).toBeGreaterThan(0);

    const list = await timed(() => get('/api/tasks'));
    await expectUnavailableProblem(list);
    timings['503 over HTTP GET /api/tasks (jwt)'] = list.ms;

    const bySession = await timed(() => get('/api/tasks', `Bearer ${user.sessionToken}`));
    await expectUnavailableProblem(bySession);
    timings['503 over HTTP GET /api/tasks (session token)'] = bySession.ms;

    const create = await timed(() =>
      fetch(`${origin}/api/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'During the crash' }),
        signal: AbortSignal.timeout(3 * ANSWER_WITHIN_MS),
      }),
    );
    await expectUnavailableProblem(create);

    const ready = await timed(() => get('/readyz'));
    expect(ready.response.status).toBe(503);
    expect(ready.response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const health = await timed(() => get('/healthz'));
    expect(health.response.status).toBe(200);

    const startedAt = performance.now();
    await liveCluster().start();
    timings['pg_ctl start after crash'] = performance.now() - startedAt;

    const recovered = await waitForStatus(() => get('/api/tasks'), 200);
    timings['recovery over HTTP after pg_ctl start returned'] = recovered.ms;
    expect(recovered.response.status, await recovered.response.clone().text()).toBe(200);
    const titles = ((await recovered.response.json()) as TaskJson[]).map((t) => t.title).sort();
    expect(titles).toEqual(['Written after the outage', 'Written before the outage']);

    const created = await fetch(`${origin}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Written after the crash' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/api/tasks', `Bearer ${user.sessionToken}`)).status).toBe(200);

    // The in-process app recovered from the second outage as well, still without a restart.
    const inProcess = await waitForStatus(() => withJwt('GET', '/api/tasks'), 200);
    expect(inProcess.response.status).toBe(200);
    expect(((await inProcess.response.json()) as TaskJson[]).length).toBe(3);

    expect(unhandledRejection).not.toHaveBeenCalled();
    expect(uncaughtException).not.toHaveBeenCalled();
  }, 120_000);
});
