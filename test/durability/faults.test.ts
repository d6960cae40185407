import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Migrator } from '../../src/db/migrator.js';
import { openDatabase } from '../../src/db/open-database.js';
import { createLogger } from '../../src/logger.js';
import {
  createPostgresCluster,
  freePort,
  type PostgresCluster,
} from '../../support/postgres-cluster.js';
import { httpClient, type TestUser } from '../support/api.js';
import { buildUser } from '../support/factories.js';
import { type PgBouncer, pgbouncerBinary, startPgBouncer } from '../support/pgbouncer.js';
import { toolAvailable } from '../support/required-tool.js';
import {
  bundleServer,
  childPids,
  isRunning,
  type ServeOptions,
  type ServeProcess,
  type ServerBundle,
  spawnServe,
} from '../support/serve-process.js';
import {
  type LoadClient,
  type LoadReport,
  startWriteLoad,
  type WriteLoad,
} from '../support/write-load.js';

// Durability under faults: a real `todo serve` process under concurrent writes (each with an
// Idempotency-Key, sent again after a cut-off answer), while the server is killed, one of
// its workers is killed, PostgreSQL crashes or freezes, or PgBouncer restarts. Every write
// that got a 2xx must be in the database afterwards; the only 5xx allowed is a 503 with
// Retry-After; service comes back by itself within a bound. Each test prints its figures.

const APP_ROLE = 'todo_app';
const DATABASE = 'todo';
const CLIENTS = 8;
const USERS = 4;
/** Issuer and audience of the JWTs: the same for every server process of this file. */
const PUBLIC_URL = 'http://127.0.0.1:3999';
const SECRET = 'durability-secret-0123456789-abcdefghij';
const CONNECT_TIMEOUT_MS = 2_000;
/** Bound on a 2xx again once the database, or PgBouncer, is back. */
const RECOVER_WITHIN_MS = 10_000;
/** Bound on a 2xx again from a restarted server process (its start, on a busy machine). */
const RESTART_WITHIN_MS = 60_000;

interface Figures {
  acknowledged: number;
  lost: number;
  duplicates: number;
  serverErrors: Record<number, number>;
  networkErrors: number;
  recoverSeconds: number;
}

function print(name: string, figures: Figures & Record<string, unknown>): void {
  const fiveXx =
    Object.entries(figures.serverErrors)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ') || 'none';
  const extra = Object.entries(figures)
    .filter(
      ([key]) =>
        ![
          'acknowledged',
          'lost',
          'duplicates',
          'serverErrors',
          'networkErrors',
          'recoverSeconds',
        ].includes(key),
    )
    .map(([key, value]) => ` ${key}=${String(value)}`)
    .join('');
  console.log(
    `durability | ${name}: acknowledged=${figures.acknowledged} lost=${figures.lost} duplicates=${figures.duplicates} 5xx=${fiveXx} no-answer=${figures.networkErrors} recover_s=${figures.recoverSeconds.toFixed(2)}${extra}`,
  );
}

/** No 5xx but 503, and every 503 with Retry-After. */
function expectOnly503WithRetryAfter(report: LoadReport): void {
  const other = Object.keys(report.serverErrors).filter((status) => status !== '503');
  expect(other, JSON.stringify(report.serverErrors)).toEqual([]);
  expect(report.unavailableWithoutRetryAfter).toBe(0);
  expect(report.clientErrors).toEqual({});
}

function seconds(fromMs: number, toMs: number | undefined): number {
  return toMs === undefined ? Number.POSITIVE_INFINITY : (toMs - fromMs) / 1000;
}

/**
 * Prints a scenario's figures and holds the rules every scenario shares: no acknowledged
 * write lost or written twice, and no 5xx but 503 with Retry-After.
 */
function judge(
  name: string,
  report: LoadReport,
  found: { lost: number; duplicates: number },
  recoverSeconds: number,
  extra: Record<string, unknown> = {},
): Figures {
  const figures = {
    acknowledged: report.acknowledged.length,
    ...found,
    serverErrors: report.serverErrors,
    networkErrors: report.networkErrors,
    recoverSeconds,
    ...extra,
  };
  print(name, figures);
  expect(found.lost).toBe(0);
  expect(found.duplicates).toBe(0);
  expectOnly503WithRetryAfter(report);
  return figures;
}

const hasPgBouncer = toolAvailable(
  pgbouncerBinary,
  'apt-get install -y pgbouncer',
  'the PgBouncer restart in test/durability/faults.test.ts',
);

describe('durability under faults: no acknowledged write lost', () => {
  let cluster: PostgresCluster;
  let cwd: string;
  const servers: ServeProcess[] = [];
  const bouncers: PgBouncer[] = [];
  let clients: LoadClient[] = [];
  let bundle: ServerBundle | undefined;
  /** The single-worker server the database faults run under (the one restarted after kill -9). */
  let shared: ServeProcess | undefined;

  const serverEnv = (databaseUrl: string | undefined, extra: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    BETTER_AUTH_URL: PUBLIC_URL,
    BETTER_AUTH_SECRET: SECRET,
    AUTH_RATE_LIMIT: 'off',
    // The same few users write for several minutes: far past a per-user limit.
    API_WRITE_LIMIT_PER_MINUTE: 'off',
    LOG_LEVEL: 'warn',
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_CONNECT_RETRIES: '0',
    MIGRATE_ON_START: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  });

  const serve = (options: Omit<ServeOptions, 'entry'>): ServeProcess => {
    const server = spawnServe({ ...options, entry: bundle?.entry });
    servers.push(server);
    return server;
  };

  /** Signs users up on a running server; half the clients use JWTs, half session tokens. */
  async function signUpClients(url: string, label: string): Promise<LoadClient[]> {
    const users: TestUser[] = [];
    for (let i = 0; i < USERS; i++) {
      users.push(
        await buildUser(httpClient(url, PUBLIC_URL), {
          email: `${label}-${i}@example.test`,
          name: `${label} ${i}`,
        }),
      );
    }
    return Array.from({ length: CLIENTS }, (_, i) => {
      const user = users[i % USERS]!;
      return { authorization: `Bearer ${i % 2 === 0 ? user.jwt : user.sessionToken}` };
    });
  }

  /** Acknowledged writes missing (or changed) in the database, and titles written twice. */
  async function checkAgainstDatabase(report: LoadReport, label: string) {
    const { rows } = await cluster.query(
      'SELECT id, title FROM tasks WHERE title LIKE $1',
      [`${label}-%`],
      DATABASE,
    );
    const byId = new Map(rows.map((r: { id: string; title: string }) => [Number(r.id), r.title]));
    const lost = report.acknowledged.filter((ack) => byId.get(ack.id) !== ack.title).length;
    const titles = rows.map((r: { title: string }) => r.title);
    const duplicates = titles.length - new Set(titles).size;
    return { lost, duplicates };
  }

  /** A write load on `url` that has written for a second: what every fault is injected into. */
  async function steadyLoad(url: string, label: string): Promise<WriteLoad> {
    const load = startWriteLoad({ url, clients, label });
    await load.waitForSuccessAfter(performance.now(), 10_000);
    await sleep(1_000);
    return load;
  }

  /** Lets the load run `settleMs` more, stops it, and checks its writes against the database. */
  async function stopLoad(load: WriteLoad, label: string, settleMs = 500) {
    await sleep(settleMs);
    const report = await load.stop();
    return { report, ...(await checkAgainstDatabase(report, label)) };
  }

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'durability-'));
    const bundling = bundleServer();
    cluster = await createPostgresCluster();
    await cluster.start();
    await cluster.query(`CREATE DATABASE ${DATABASE}`);
    await cluster.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS`);
    const admin = await openDatabase(
      loadConfig({ NODE_ENV: 'test', DATABASE_URL: cluster.urlFor(DATABASE), LOG_LEVEL: 'silent' }),
      { logger: createLogger('silent') },
    );
    try {
      await new Migrator(admin).migrate();
      // The migrations grant the runtime group role everything the server may use.
      await admin.exec(`GRANT todo_runtime TO ${APP_ROLE}`);
    } finally {
      await admin.close();
    }
    bundle = await bundling;
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    for (const bouncer of bouncers) await bouncer.stop().catch(() => {});
    await cluster?.destroy();
    bundle?.remove();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  }, 60_000);

  it('kill -9 of the server (1 worker) under writes: restarted, every acknowledged write is there', async () => {
    const port = await freePort();
    const options = { port, cwd, env: serverEnv(cluster.urlFor(DATABASE, APP_ROLE)) };
    const first = serve(options);
    await first.waitReady();
    clients = await signUpClients(first.url, 'users');

    const load = await steadyLoad(first.url, 'kill9');
    first.child.kill('SIGKILL');
    await first.exited;
    const restartedAt = performance.now();
    const second = serve(options);
    shared = second;
    await second.waitReady();
    const recovered = await load.waitForSuccessAfter(restartedAt, RESTART_WITHIN_MS);
    const { report, lost, duplicates } = await stopLoad(load, 'kill9');
    const figures = judge(
      'kill -9 of the server, 1 worker',
      report,
      { lost, duplicates },
      seconds(restartedAt, recovered?.at),
    );
    expect(report.acknowledged.length).toBeGreaterThan(0);
    expect(figures.recoverSeconds * 1000).toBeLessThan(RESTART_WITHIN_MS);
  }, 180_000);

  /** The server restarted by the first test, or a fresh one if that test did not get so far. */
  async function sharedServer(): Promise<ServeProcess> {
    if (!shared || shared.child.exitCode !== null || shared.child.signalCode !== null) {
      shared = serve({
        port: await freePort(),
        cwd,
        env: serverEnv(cluster.urlFor(DATABASE, APP_ROLE)),
      });
    }
    await shared.waitReady();
    if (clients.length === 0) clients = await signUpClients(shared.url, 'users');
    return shared;
  }

  it('PostgreSQL stopped with -m immediate and started again: only 503 + Retry-After meanwhile, recovers by itself', async () => {
    const server = await sharedServer();
    const load = await steadyLoad(server.url, 'pgcrash');
    await cluster.stop('immediate');
    // From here on nothing can commit: a 2xx to a write sent later would be a lie.
    const crashedAt = performance.now();
    await sleep(2_000);
    const outage = load.firstSuccessAfter(crashedAt);
    const startedAt = performance.now();
    await cluster.start();
    const restartedAt = performance.now();
    const recovered = await load.waitForSuccessAfter(restartedAt, RECOVER_WITHIN_MS);
    const { report, lost, duplicates } = await stopLoad(load, 'pgcrash');
    const during = report.answers.filter((a) => a.sentAt >= crashedAt && a.at <= startedAt);
    const figures = judge(
      'PostgreSQL -m immediate, then start',
      report,
      { lost, duplicates },
      seconds(restartedAt, recovered?.at),
      {
        answers_during_outage: during.length,
        pg_start_s: ((restartedAt - startedAt) / 1000).toFixed(2),
      },
    );
    expect(outage, 'no 2xx while PostgreSQL was down').toBeUndefined();
    expect(during.length).toBeGreaterThan(0);
    for (const answer of during) expect(answer.status).toBe(503);
    expect(report.networkErrors).toBe(0);
    expect(figures.recoverSeconds * 1000).toBeLessThan(RECOVER_WITHIN_MS);
  }, 90_000);

  it('PostgreSQL frozen (SIGSTOP) for 5 s, then SIGCONT: only 2xx or 503, recovers', async () => {
    const server = await sharedServer();
    const load = await steadyLoad(server.url, 'pgfreeze');
    const postmaster = Number(
      readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    // The postmaster first, so it starts no backend we would miss.
    const frozen = [postmaster];
    process.kill(postmaster, 'SIGSTOP');
    for (const pid of childPids(postmaster)) {
      try {
        process.kill(pid, 'SIGSTOP');
        frozen.push(pid);
      } catch {
        // exited meanwhile
      }
    }
    await sleep(5_000);
    for (const pid of frozen.reverse()) process.kill(pid, 'SIGCONT');
    const thawedAt = performance.now();
    const recovered = await load.waitForSuccessAfter(thawedAt, RECOVER_WITHIN_MS);
    const { report, lost, duplicates } = await stopLoad(load, 'pgfreeze');
    const figures = judge(
      'PostgreSQL SIGSTOP 5 s, then SIGCONT',
      report,
      { lost, duplicates },
      seconds(thawedAt, recovered?.at),
      { frozen_processes: frozen.length },
    );
    expect(report.networkErrors).toBe(0);
    expect(figures.recoverSeconds * 1000).toBeLessThan(RECOVER_WITHIN_MS);
  }, 90_000);

  it('kill -9 of one of 2 workers: the other keeps serving, the primary starts another', async () => {
    // The database faults are done: free the machine of the single-worker server.
    await shared?.stop();
    const port = await freePort();
    const primary = serve({
      port,
      cwd,
      workers: 2,
      env: serverEnv(cluster.urlFor(DATABASE, APP_ROLE)),
    });
    await primary.waitReady();
    // Both workers listen before the primary forwards to them; wait for the pair.
    const workersUp = async (count: number, timeoutMs: number) => {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        const pids = childPids(primary.pid).filter(isRunning);
        if (pids.length === count) return pids;
        await sleep(50);
      }
      return childPids(primary.pid).filter(isRunning);
    };
    const before = await workersUp(2, 20_000);
    expect(before).toHaveLength(2);

    const load = await steadyLoad(primary.url, 'worker');
    const victim = before[0]!;
    const killedAt = performance.now();
    process.kill(victim, 'SIGKILL');
    // The survivor answers while the replacement starts.
    const servedMeanwhile = await load.waitForSuccessAfter(killedAt, 15_000);
    let replacement: number | undefined;
    const deadline = performance.now() + RESTART_WITHIN_MS;
    while (performance.now() < deadline && replacement === undefined) {
      replacement = childPids(primary.pid)
        .filter(isRunning)
        .find((pid) => !before.includes(pid));
      if (replacement === undefined) await sleep(50);
    }
    const replacedAt = performance.now();
    const { report, lost, duplicates } = await stopLoad(load, 'worker', 1_500);
    const after = childPids(primary.pid).filter(isRunning);
    judge(
      'kill -9 of 1 of 2 workers',
      report,
      { lost, duplicates },
      seconds(killedAt, servedMeanwhile?.at),
      { replaced_s: ((replacedAt - killedAt) / 1000).toFixed(2) },
    );
    expect(servedMeanwhile, 'the other worker answered while one was down').toBeDefined();
    expect(replacement, `a new worker\n${primary.output().slice(-2000)}`).toBeDefined();
    expect(after).toHaveLength(2);
    expect(after).not.toContain(victim);
    expect(isRunning(primary.pid)).toBe(true);
    await primary.stop();
  }, 180_000);

  it.skipIf(!hasPgBouncer)(
    'PgBouncer (transaction mode) restarted under writes: only 503 + Retry-After, recovers',
    async () => {
      const bouncerOptions = {
        database: DATABASE,
        users: [APP_ROLE],
        poolSize: 4,
        serverPort: cluster.port,
      };
      let bouncer = await startPgBouncer(bouncerOptions);
      bouncers.push(bouncer);
      const server = serve({
        port: await freePort(),
        cwd,
        env: serverEnv(bouncer.urlFor(APP_ROLE)),
      });
      await server.waitReady();

      const load = await steadyLoad(server.url, 'bouncer');
      await bouncer.stop();
      bouncer = await startPgBouncer({ ...bouncerOptions, port: bouncer.port });
      bouncers.push(bouncer);
      const restartedAt = performance.now();
      const recovered = await load.waitForSuccessAfter(restartedAt, RECOVER_WITHIN_MS);
      const { report, lost, duplicates } = await stopLoad(load, 'bouncer');
      await server.stop();
      const figures = judge(
        'PgBouncer restart (transaction mode)',
        report,
        { lost, duplicates },
        seconds(restartedAt, recovered?.at),
      );
      expect(report.networkErrors).toBe(0);
      expect(figures.recoverSeconds * 1000).toBeLessThan(RECOVER_WITHIN_MS);
    },
    90_000,
  );

  it('kill -9 of the server on the embedded database: every acknowledged write is there after restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'durability-embedded-'));
    try {
      const options = {
        port: await freePort(),
        cwd,
        env: serverEnv(undefined, { DATA_DIR: dataDir, MIGRATE_ON_START: 'true' }),
      };
      const first = serve(options);
      await first.waitReady();
      const embeddedClients = await signUpClients(first.url, 'embedded-users');

      const load = startWriteLoad({ url: first.url, clients: embeddedClients, label: 'embedded' });
      await load.waitForSuccessAfter(performance.now(), 10_000);
      await sleep(1_500);
      first.child.kill('SIGKILL');
      await first.exited;
      const report = await load.stop();

      const restartedAt = performance.now();
      const second = serve(options);
      await second.waitReady();
      const readyAt = performance.now();

      // Every user's tasks, read back through the restarted server, page by page.
      const stored = new Map<number, string>();
      const titles: string[] = [];
      for (const client of embeddedClients.slice(0, USERS)) {
        let path: string | null = '/api/tasks?limit=100&sort=created_at';
        for (let page = 0; path && page < 1_000; page++) {
          const response: Response = await fetch(`${second.url}${path}`, {
            headers: { authorization: client.authorization },
          });
          expect(response.status).toBe(200);
          for (const task of (await response.json()) as Array<{ id: number; title: string }>) {
            stored.set(task.id, task.title);
            titles.push(task.title);
          }
          const cursor = response.headers.get('x-next-cursor');
          path = cursor
            ? `/api/tasks?limit=100&sort=created_at&cursor=${encodeURIComponent(cursor)}`
            : null;
        }
      }
      const lost = report.acknowledged.filter((ack) => stored.get(ack.id) !== ack.title).length;
      const duplicates = titles.length - new Set(titles).size;
      await second.stop();

      judge(
        'kill -9 of the server, embedded database',
        report,
        { lost, duplicates },
        seconds(restartedAt, readyAt),
      );
      expect(report.acknowledged.length).toBeGreaterThan(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
