import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Database, QueryOptions, Row } from '../src/db/database.js';
import { runtimeGroupRole } from '../src/db/roles.js';
import { createServerDatabase } from '../src/db/server-database.js';
import { createLogger } from '../src/logger.js';
import { startReminderScheduler } from '../src/reminders/scheduler.js';
import { createPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { describeMachine } from './lib/machine.js';
import { run } from './lib/processes.js';
import { percentile, repoRoot } from './lib/server.js';
import { postgresBinDir, query } from './lib/setup.js';

// How fast a backlog of due reminders drains: 100 000 due at once (a long outage, or a
// popular time of day), fired by the real scheduler code (startReminderScheduler(…).fireDue(),
// batches of 500) as the runtime role, first by one scheduler, then by two at once, each
// with a pool of its own as two server processes would have (FOR UPDATE SKIP LOCKED shares
// the rows out). Throwaway cluster with default settings (fsync on), migrated and seeded by
// the CLI; results in bench/results/<UTC time>-reminders-drain/results.json.
//
//   npx tsx bench/reminders-drain.ts

const DATABASE = 'todo_reminders';
const APP_ROLE = 'todo_reminders_app';
const USERS = 1000;
const TASKS_PER_USER = 20;
const REMINDERS_PER_TASK = 5;
const BATCH_SIZE = 500;
const TOTAL = USERS * TASKS_PER_USER * REMINDERS_PER_TASK;
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const cliEntry = join(repoRoot, 'src', 'cli', 'main.ts');

const began = performance.now();
const log = (line: string) =>
  process.stderr.write(
    `[reminders-drain ${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`,
  );

/** The Database with the time of each reminders_fire statement recorded. */
function timed(db: Database, samples: number[]): Database {
  return {
    kind: db.kind,
    async query<R extends Row = Row>(
      text: string,
      params?: readonly unknown[],
      options?: QueryOptions,
    ): Promise<R[]> {
      const started = performance.now();
      const rows = await db.query<R>(text, params, options);
      if (options?.name === 'reminders_fire') samples.push(performance.now() - started);
      return rows;
    },
    exec: (sql) => db.exec(sql),
    withSession: (fn) => db.withSession(fn),
    transaction: (fn) => db.transaction(fn),
    poolStats: () => db.poolStats(),
    close: () => db.close(),
  };
}

interface DrainResult {
  schedulers: number;
  batchSize: number;
  reminders: number;
  seconds: number;
  remindersPerSecond: number;
  /** Reminders each scheduler took off the queue. */
  perScheduler: number[];
  statements: number;
  statementMs: { p50: number; p90: number; p99: number; max: number };
  notifications: number;
  fired: number;
  leftInQueue: number;
  duplicates: number;
  late: number;
}

async function drain(adminUrl: string, appUrl: string, schedulers: number): Promise<DrainResult> {
  const logger = createLogger('silent');
  const samples: number[] = [];
  const dbs = Array.from({ length: schedulers }, () =>
    createServerDatabase({
      url: appUrl,
      poolMax: 2,
      idleTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 120_000,
      slowQueryMs: 60_000,
      prepare: 'auto',
      logger,
    }),
  );
  // Started on an empty queue: the loops' first pass finds nothing and then waits a minute,
  // so the drain below is fireDue() alone.
  const running = dbs.map((db) =>
    startReminderScheduler(timed(db, samples), logger, { pollMs: 60_000, batchSize: BATCH_SIZE }),
  );
  try {
    while (samples.length < schedulers) await sleep(10);
    samples.length = 0;
    // Every reminder due, within the last minute, in one go (from the armed copy).
    await query(
      adminUrl,
      `INSERT INTO reminder_queue (task_id, list_id, reminder_id, occurrence, fire_at)
       SELECT task_id, list_id, reminder_id, occurrence, now() - random() * interval '1 minute'
         FROM bench_armed`,
    );
    await query(adminUrl, 'ANALYZE reminder_queue');
    const started = performance.now();
    const perScheduler = await Promise.all(running.map((scheduler) => scheduler.fireDue()));
    const seconds = (performance.now() - started) / 1000;
    const [counts] = await query<{
      notifications: string;
      fired: string;
      queued: string;
      duplicates: string;
      late: string;
    }>(
      adminUrl,
      `SELECT (SELECT count(*) FROM notifications) AS notifications,
              (SELECT count(*) FROM reminder_fired) AS fired,
              (SELECT count(*) FROM reminder_queue) AS queued,
              (SELECT count(*) - count(DISTINCT (task_id, reminder_id, user_id)) FROM notifications)
                AS duplicates,
              (SELECT count(*) FROM notifications WHERE late) AS late`,
    );
    const sorted = [...samples].sort((a, b) => a - b);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      schedulers,
      batchSize: BATCH_SIZE,
      reminders: perScheduler.reduce((a, b) => a + b, 0),
      seconds: Math.round(seconds * 1000) / 1000,
      remindersPerSecond: Math.round(TOTAL / seconds),
      perScheduler,
      statements: sorted.length,
      statementMs: {
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.at(-1) ?? 0),
      },
      notifications: Number(counts!.notifications),
      fired: Number(counts!.fired),
      leftInQueue: Number(counts!.queued),
      duplicates: Number(counts!.duplicates),
      late: Number(counts!.late),
    };
  } finally {
    await Promise.all(running.map((scheduler) => scheduler.stop()));
    await Promise.all(dbs.map((db) => db.close()));
  }
}

async function main(cluster: PostgresCluster, workDir: string): Promise<void> {
  const startedAt = new Date();
  await cluster.start();
  const serverVersion = String(
    (await cluster.query('SHOW server_version')).rows[0]?.server_version ?? '?',
  );
  await cluster.query(`CREATE DATABASE ${DATABASE}`);
  const adminUrl = cluster.urlFor(DATABASE);
  log(`cluster up: PostgreSQL ${serverVersion} on port ${cluster.port}`);

  // Schema and data through the real CLI (this checkout's, through tsx).
  const cliEnv = { PATH: process.env.PATH, DATABASE_URL: adminUrl, NODE_ENV: 'production' };
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', tsxLoader, cliEntry, ...args], {
      cwd: workDir,
      env: cliEnv,
    });
  let t = performance.now();
  await cli(['db', 'migrate']);
  const migrateSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  await cli(['db', 'seed', '--users', String(USERS), '--tasks', String(TASKS_PER_USER), '--force']);
  const seedSeconds = (performance.now() - t) / 1000;
  log(
    `migrated (${migrateSeconds.toFixed(1)} s), seeded ${USERS} × ${TASKS_PER_USER} tasks (${seedSeconds.toFixed(1)} s)`,
  );
  await cluster.query(
    `CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE ${runtimeGroupRole}`,
  );
  const appUrl = cluster.urlFor(DATABASE, APP_ROLE);

  // Five reminders on every task, armed by the triggers as an edit through the API would; all
  // pending (a completed task's reminder fires without a notification). Then the armed rows
  // are kept aside, and each drain puts them back with times in the past.
  t = performance.now();
  await query(
    adminUrl,
    `UPDATE tasks SET status = 'pending',
            reminders = (SELECT jsonb_agg(jsonb_build_object(
                                  'id', 'r' || k,
                                  'at', to_char((now() + interval '1 hour' + (id * 5 + k) * interval '1 millisecond')
                                                AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                           FROM generate_series(1, ${REMINDERS_PER_TASK}) AS k)`,
  );
  const armSeconds = (performance.now() - t) / 1000;
  const [armed] = await query<{ n: string }>(adminUrl, 'SELECT count(*) AS n FROM reminder_queue');
  if (Number(armed!.n) !== TOTAL) throw new Error(`armed ${armed!.n} reminders, not ${TOTAL}`);
  await query(adminUrl, 'CREATE TABLE bench_armed AS SELECT * FROM reminder_queue');
  await query(adminUrl, 'TRUNCATE reminder_queue');
  await query(adminUrl, 'VACUUM ANALYZE');
  log(`armed ${TOTAL} reminders (${armSeconds.toFixed(1)} s)`);

  const runs: DrainResult[] = [];
  for (const schedulers of [1, 2]) {
    if (runs.length > 0) {
      await query(adminUrl, 'TRUNCATE notifications, reminder_fired');
      await query(adminUrl, 'VACUUM ANALYZE reminder_queue');
    }
    const result = await drain(adminUrl, appUrl, schedulers);
    runs.push(result);
    log(
      `${schedulers} scheduler${schedulers > 1 ? 's' : ''}: ${result.reminders} reminders in ${result.seconds.toFixed(2)} s = ${result.remindersPerSecond}/s (split ${result.perScheduler.join(' + ')}); ${result.statements} statements, p50 ${result.statementMs.p50} ms, p99 ${result.statementMs.p99} ms; ${result.notifications} notifications, ${result.duplicates} duplicates, ${result.leftInQueue} left`,
    );
    if (result.duplicates !== 0 || result.notifications !== TOTAL || result.leftInQueue !== 0) {
      throw new Error(`wrong outcome: ${JSON.stringify(result)}`);
    }
  }

  // Which reminders_fire was measured (the migration may change under a running branch).
  const [fire] = await query<{ language: string; md5: string }>(
    adminUrl,
    `SELECT l.lanname AS language, md5(p.prosrc) AS md5
       FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'reminders_fire'`,
  );
  const machine = describeMachine(serverVersion);
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      nproc: machine.nproc,
      cpuModel: machine.cpuModel,
      memoryGiB: machine.memoryGiB,
      os: machine.os,
      kernel: machine.kernel,
      node: machine.node,
      postgres: machine.postgres,
    },
    setup: {
      cluster: 'throwaway, default settings (fsync on, synchronous_commit on)',
      users: USERS,
      tasksPerUser: TASKS_PER_USER,
      remindersPerTask: REMINDERS_PER_TASK,
      reminders: TOTAL,
      recipientsPerReminder: 1,
      email: false,
      role: 'runtime role (NOSUPERUSER NOBYPASSRLS, member of todo_runtime)',
      poolPerScheduler: 2,
      migrateSeconds,
      seedSeconds,
      armSeconds,
      remindersFire: fire,
    },
    runs,
  };
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const dir = join(repoRoot, 'bench', 'results', `${stamp}-reminders-drain`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  console.log(
    '| schedulers | reminders | seconds | reminders/s | split | statements | p50 ms | p99 ms | notifications | duplicates |',
  );
  console.log(
    '| ---------- | --------- | ------- | ----------- | ----- | ---------- | ------ | ------ | ------------- | ---------- |',
  );
  for (const r of runs) {
    console.log(
      `| ${r.schedulers} | ${r.reminders} | ${r.seconds.toFixed(2)} | ${r.remindersPerSecond} | ${r.perScheduler.join(' + ')} | ${r.statements} | ${r.statementMs.p50} | ${r.statementMs.p99} | ${r.notifications} | ${r.duplicates} |`,
    );
  }
  log(`results in ${relative(repoRoot, dir)}/results.json`);
}

const workDir = mkdtempSync(join(tmpdir(), 'reminders-drain-'));
const cluster = await createPostgresCluster({ binDir: postgresBinDir });
let cleaning: Promise<void> | undefined;
const cleanup = () => {
  cleaning ??= cluster.destroy().then(() => rmSync(workDir, { recursive: true, force: true }));
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: removing the cluster`);
    void cleanup().finally(() => process.exit(130));
  });
}
let code = 0;
try {
  await main(cluster, workDir);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
