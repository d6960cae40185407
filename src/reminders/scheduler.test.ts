import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../support/postgres-cluster.js';
import { startTestApi, type TestApi, type TestUser, testConfig } from '../../test/support/api.js';
import { buildUser, insertList, insertUser, taskFields } from '../../test/support/factories.js';
import { captureLogs } from '../../test/support/logs.js';
import {
  bundleServer,
  type ServeProcess,
  type ServerBundle,
  spawnServe,
} from '../../test/support/serve-process.js';
import {
  adminQuery,
  countRows,
  createAppRole,
  createEmbeddedTestDatabase,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  silentLogger,
  type TestDatabase,
  urlFor,
} from '../../test/support/test-database.js';
import type { Database, Queryable } from '../db/database.js';
import { rolesScript } from '../db/roles.js';
import { migrateOnStart } from '../server.js';
import { reminderOf } from '../tasks/reminders.js';
import { TaskRepository } from '../tasks/repository.js';
import type { TaskJson } from '../tasks/task-json.js';
import { createReminderMailer, type ReminderMailer } from './email.js';
import { type ReminderScheduler, startReminderScheduler } from './scheduler.js';

// The reminder scheduler against real databases: a reminder fires within the poll interval
// and never before its time (on the PostgreSQL server and on PGlite); exactly once with two
// real `todo serve` processes on one database; on start after the server was down (late when
// more than a minute after its time); from `todo worker` alone; and its emails end to end
// through a real SMTP server, with retries that hold up neither reminders nor requests.

interface NotificationRow {
  id: number;
  user_id: string;
  task_id: number;
  reminder_id: string;
  title: string;
  due_date: Date | null;
  fire_at: Date;
  fired_at: Date;
  late: boolean;
  email_due: Date | null;
  email_attempts: number;
  emailed_at: Date | null;
}

/** Every notification of these tasks (read as a superuser: no row-level security), oldest first. */
async function notificationsOf(db: Queryable, taskIds: number[]): Promise<NotificationRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, user_id, task_id, reminder_id, title, due_date, fire_at, fired_at, late,
            email_due, email_attempts, emailed_at
       FROM notifications WHERE task_id = ANY($1::bigint[]) ORDER BY id`,
    [taskIds],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    user_id: String(row.user_id),
    task_id: Number(row.task_id),
    reminder_id: String(row.reminder_id),
    title: String(row.title),
    due_date: row.due_date === null ? null : new Date(row.due_date as Date),
    fire_at: new Date(row.fire_at as Date),
    fired_at: new Date(row.fired_at as Date),
    late: row.late === true,
    email_due: row.email_due === null ? null : new Date(row.email_due as Date),
    email_attempts: Number(row.email_attempts),
    emailed_at: row.emailed_at === null ? null : new Date(row.emailed_at as Date),
  }));
}

/** Polls `probe` until it returns something other than undefined; fails after timeoutMs. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 25,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(everyMs);
  }
}

/** Sleeps until the wall clock reaches `at` (ms since the epoch); at once when it has. */
async function sleepUntil(at: number): Promise<void> {
  const ms = at - Date.now();
  if (ms > 0) await sleep(ms);
}

const activeTimers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

// ---------------------------------------------------------------------------------------------
// On both engines: the core firing rule.

describe.each(['server', 'embedded'] as const)('the scheduler on the %s database', (kind) => {
  /** Superuser connection (test set-up and reads); app: what the scheduler uses. */
  let admin: Database;
  let app: Database;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (kind === 'server') {
      const database = await createTestDatabase();
      const { role, url } = await createAppRole(database);
      const appDb = openServerDatabase(url);
      admin = database.db;
      app = appDb;
      close = async () => {
        await appDb.close();
        await dropRole(role, database).catch(() => {});
        await database.drop();
      };
    } else {
      const db = await createEmbeddedTestDatabase();
      admin = db;
      app = db;
      close = () => db.close();
    }
  });
  afterAll(() => close?.());

  it('fires a due reminder within the poll interval and never before its time', async () => {
    const pollMs = 200;
    const userId = await insertUser(admin);
    const scheduler = startReminderScheduler(app, silentLogger, { pollMs });
    try {
      const start = Date.now();
      const at = new Date(start + 1500);
      const task = await new TaskRepository(admin).create(
        userId,
        taskFields({ title: 'Call the bank', reminders: [reminderOf({ at })] }),
      );
      expect(await countRows(admin, 'reminder_queue', 'task_id = $1', [task.id])).toBe(1);

      await sleepUntil(start + 1000);
      expect(await notificationsOf(admin, [task.id]), 'fired before its time').toEqual([]);

      const [fired] = await waitFor(
        'the notification',
        async () => {
          const rows = await notificationsOf(admin, [task.id]);
          return rows.length > 0 ? rows : undefined;
        },
        Math.max(start + 3000 - Date.now(), 0),
      );
      expect(fired).toMatchObject({
        user_id: userId,
        task_id: task.id,
        title: 'Call the bank',
        late: false,
        email_due: null,
      });
      expect(fired!.fire_at.getTime()).toBe(at.getTime());
      // Both times are the database's clock.
      const lagMs = fired!.fired_at.getTime() - fired!.fire_at.getTime();
      expect(lagMs, 'fired before its time').toBeGreaterThanOrEqual(0);
      expect(lagMs, 'fired later than the poll interval allows').toBeLessThan(pollMs + 500);
      console.log(`scheduler | ${kind}: fired ${lagMs} ms after its time (poll ${pollMs} ms)`);

      // And only once, however many polls come after.
      await sleep(3 * pollMs);
      expect(await notificationsOf(admin, [task.id])).toHaveLength(1);
      expect(await countRows(admin, 'reminder_queue', 'task_id = $1', [task.id])).toBe(0);
      expect(await countRows(admin, 'reminder_fired', 'task_id = $1', [task.id])).toBe(1);
    } finally {
      await scheduler.stop();
    }
  });

  it('stop() resolves promptly while the loop waits out a long poll interval', async () => {
    const scheduler = startReminderScheduler(app, silentLogger, { pollMs: 60_000 });
    // The first pass runs at once; then the loop waits a minute.
    await sleep(300);
    const started = performance.now();
    await scheduler.stop();
    expect(performance.now() - started).toBeLessThan(100);
  });
});

// ---------------------------------------------------------------------------------------------
// The loops themselves, over a stand-in database: no pool of its own keeps timers.

describe('the scheduler loops', () => {
  function fakeDatabase(answer: (text: string) => Promise<unknown[]>): {
    db: Database;
    calls: string[];
  } {
    const calls: string[] = [];
    const db = {
      kind: 'server',
      query: async (text: string) => {
        calls.push(text);
        return answer(text);
      },
    } as unknown as Database;
    return { db, calls };
  }

  it('stop() leaves no timer behind and closes the mailer', async () => {
    const { db, calls } = fakeDatabase(async (text) =>
      text.includes('reminders_fire') ? [{ fired: 0 }] : [],
    );
    const mailer: ReminderMailer = { send: vi.fn(async () => {}), close: vi.fn() };
    const before = activeTimers();
    const scheduler = startReminderScheduler(db, silentLogger, {
      pollMs: 60_000,
      email: { mailer, taskUrl: () => 'https://tasks.example.test/' },
    });
    // One pass of each loop, then each waits on its timer.
    await waitFor('both loops to run once', () => (calls.length >= 2 ? true : undefined), 2000);
    await sleep(20);
    expect(activeTimers()).toBe(before + 2);

    const started = performance.now();
    await scheduler.stop();
    expect(performance.now() - started).toBeLessThan(50);
    expect(activeTimers()).toBe(before);
    expect(mailer.close).toHaveBeenCalledOnce();
    const callsAtStop = calls.length;
    await sleep(100);
    expect(calls.length).toBe(callsAtStop);
  });

  it('stop() during a backlog waits for the statement in flight, and starts no other', async () => {
    let inFlight = 0;
    const { db, calls } = fakeDatabase(async () => {
      inFlight++;
      await sleep(200);
      inFlight--;
      // A full batch every time: an endless backlog.
      return [{ fired: 500 }];
    });
    const before = activeTimers();
    const scheduler = startReminderScheduler(db, silentLogger, { pollMs: 100, batchSize: 500 });
    await waitFor('a statement in flight', () => (inFlight > 0 ? true : undefined), 2000, 5);
    const started = performance.now();
    await scheduler.stop();
    const took = performance.now() - started;
    expect(took).toBeLessThan(400);
    expect(inFlight).toBe(0);
    const callsAtStop = calls.length;
    await sleep(300);
    expect(calls.length).toBe(callsAtStop);
    // (A timer of the test runner's counted before may have ended since.)
    expect(activeTimers()).toBeLessThanOrEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// The documented production set-up: an owner role (NOSUPERUSER NOBYPASSRLS) runs the
// migrations and owns every table and function; the server connects as the runtime role.

describe('the scheduler with the owner and runtime roles of docs/OPERATIONS.md', () => {
  const suffix = Math.random().toString(16).slice(2, 10);
  const names = {
    owner: `todo_owner_${suffix}`,
    app: `todo_app_${suffix}`,
    database: `todo_rem_roles_${suffix}`,
  };
  let appDb: Database;

  beforeAll(async () => {
    const script = rolesScript(names);
    for (const statement of script.cluster) await adminQuery(statement);
    const client = new pg.Client({ connectionString: urlFor(names.database) });
    await client.connect();
    try {
      for (const statement of script.database) await client.query(statement);
    } finally {
      await client.end();
    }
    const appUrl = urlFor(names.database, names.app);
    appDb = openServerDatabase(appUrl);
    const config = testConfig(appUrl, { DIRECT_DATABASE_URL: urlFor(names.database, names.owner) });
    await migrateOnStart(config, silentLogger, appDb);
  }, 60_000);

  afterAll(async () => {
    await appDb?.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
    for (const role of [names.app, names.owner]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it('a due reminder becomes a notification for the owner of the task', async () => {
    const userId = await insertUser(appDb);
    const task = await new TaskRepository(appDb).create(
      userId,
      taskFields({
        title: 'Renew the lease',
        reminders: [reminderOf({ at: new Date(Date.now() + 500) })],
      }),
    );
    const scheduler = startReminderScheduler(appDb, silentLogger, { pollMs: 100 });
    try {
      await sleep(1000);
      const admin = new pg.Client({ connectionString: urlFor(names.database) });
      await admin.connect();
      try {
        const count = async (table: string) =>
          Number(
            (await admin.query(`SELECT count(*) AS n FROM ${table} WHERE task_id = $1`, [task.id]))
              .rows[0].n,
          );
        // The reminder was taken off the queue and recorded as fired…
        expect(await count('reminder_queue')).toBe(0);
        expect(await count('reminder_fired')).toBe(1);
        // …so its notification must be there: nothing else will ever write it.
        expect(await count('notifications'), 'the reminder fired without a notification').toBe(1);
      } finally {
        await admin.end();
      }
    } finally {
      await scheduler.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Real `todo serve` (and `todo worker`) processes on one database.

const SECRET = 'reminders-secret-0123456789-abcdefghijklmn';

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | string>;
  output(): string;
}

/** Sums the counts of the scheduler's debug lines ("reminders fired") a process writes. */
function firedCounter(child: ChildProcess): { total(): number } {
  let buffer = '';
  let total = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('reminders fired')) continue;
      try {
        const parsed = JSON.parse(line) as { msg?: string; count?: number };
        if (parsed.msg === 'reminders fired') total += Number(parsed.count);
      } catch {
        // not a log line
      }
    }
  });
  return { total: () => total };
}

describe('reminders with real server processes', () => {
  let database: TestDatabase;
  let role: string;
  let appUrl: string;
  let bundle: ServerBundle;
  let cwd: string;
  const servers: ServeProcess[] = [];
  const workers: WorkerProcess[] = [];

  const serverEnv = (port: number, extra: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    DATABASE_URL: appUrl,
    BETTER_AUTH_URL: `http://127.0.0.1:${port}`,
    BETTER_AUTH_SECRET: SECRET,
    AUTH_RATE_LIMIT: 'off',
    MIGRATE_ON_START: 'false',
    // The scheduler says at debug level how many reminders each pass fired.
    LOG_LEVEL: 'debug',
    REMINDER_POLL_MS: '100',
    DB_POOL_MAX: '4',
    ...extra,
  });

  async function serve(extra: Record<string, string> = {}): Promise<ServeProcess> {
    const port = await freePort();
    const server = spawnServe({ port, cwd, env: serverEnv(port, extra), entry: bundle.entry });
    servers.push(server);
    return server;
  }

  /** `todo worker` from the same bundle (spawnServe runs `serve`). */
  function worker(extra: Record<string, string> = {}): WorkerProcess {
    const child = spawn(process.execPath, [bundle.entry, 'worker'], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...serverEnv(0, extra),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    });
    const started = { child, exited, output: () => output };
    workers.push(started);
    return started;
  }

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'reminders-'));
    const bundling = bundleServer();
    database = await createTestDatabase();
    ({ role, url: appUrl } = await createAppRole(database));
    bundle = await bundling;
  }, 60_000);

  afterAll(async () => {
    for (const running of [...servers, ...workers]) {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGKILL');
      }
      await running.exited;
    }
    bundle?.remove();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    if (database) {
      await dropRole(role, database).catch(() => {});
      await database.drop();
    }
  }, 60_000);

  it('two server processes on one database fire each of 300 reminders exactly once', async () => {
    const [first, second] = [await serve(), await serve()];
    const counters = [firedCounter(first.child), firedCounter(second.child)];
    let exitedEarly: string | undefined;
    for (const server of [first, second]) {
      void server.exited.then((code) => {
        exitedEarly ??= `port ${server.port} exited with ${code}:\n${server.output().slice(-3000)}`;
      });
    }
    await Promise.all([first.waitReady(), second.waitReady()]);

    // 30 users, each with a task in the Inbox and one in a list shared with the next user and
    // assigned to them: 60 tasks × 5 reminders, half for two people.
    const db = database.db;
    const users: string[] = [];
    for (let i = 0; i < 30; i++) users.push(await insertUser(db));
    const shared: number[] = [];
    for (let i = 0; i < users.length; i++) {
      const list = await insertList(db, users[i]!, { name: 'Shared' });
      await db.query(
        "INSERT INTO list_members (list_id, user_id, role) VALUES ($1, $2, 'editor')",
        [list, users[(i + 1) % users.length]],
      );
      shared.push(list);
    }
    const repository = new TaskRepository(db);
    const base = Date.now() + 1500;
    // Reminder r of task t at base + (r*60 + t) * 2000/300 ms: all 300 within 2 s, interleaved.
    const specs = users.flatMap((userId, i) => [
      { owner: userId, assignee: null, listId: undefined as number | undefined, t: 2 * i },
      { owner: userId, assignee: users[(i + 1) % users.length]!, listId: shared[i], t: 2 * i + 1 },
    ]);
    const created = await Promise.all(
      specs.map((spec) =>
        repository.create(
          spec.owner,
          taskFields({
            title: `Task ${spec.t}`,
            assigneeId: spec.assignee,
            reminders: [0, 1, 2, 3, 4].map((r) =>
              reminderOf({ at: new Date(base + Math.floor(((r * 60 + spec.t) * 2000) / 300)) }),
            ),
          }),
          undefined,
          spec.listId === undefined ? {} : { listId: spec.listId },
        ),
      ),
    );
    const createdBy = Date.now();
    const taskIds = created.map((task) => task.id);
    const armed = await countRows(db, 'reminder_queue', 'task_id = ANY($1::bigint[])', [taskIds]);
    expect(armed, `set-up took ${createdBy - base + 1500} ms: reminders already past`).toBe(300);

    const expected = created.flatMap((task) =>
      task.reminders.flatMap((reminder) =>
        [task.userId, ...(task.assigneeId ? [task.assigneeId] : [])].map(
          (userId) => `${task.id}|${reminder.id}|${userId}`,
        ),
      ),
    );
    expect(expected).toHaveLength(450);

    await waitFor(
      'the queue to drain',
      async () => ((await countRows(db, 'reminder_queue')) === 0 ? true : undefined),
      15_000,
      50,
    );
    // Both processes log their passes; a pass in flight when the queue emptied ends soon.
    await waitFor(
      'the processes to log every reminder they fired',
      () => (counters[0]!.total() + counters[1]!.total() >= armed ? true : undefined),
      5_000,
    ).catch(() => undefined);

    const rows = await notificationsOf(db, taskIds);
    const keys = rows.map((row) => `${row.task_id}|${row.reminder_id}|${row.user_id}`);
    expect(new Set(keys).size, 'duplicate notifications').toBe(keys.length);
    expect(rows).toHaveLength(expected.length);
    expect([...keys].sort()).toEqual([...expected].sort());
    expect(await countRows(db, 'reminder_fired', 'task_id = ANY($1::bigint[])', [taskIds])).toBe(
      300,
    );
    const lags = rows.map((row) => row.fired_at.getTime() - row.fire_at.getTime());
    expect(Math.min(...lags), 'fired before its time').toBeGreaterThanOrEqual(0);
    expect(rows.filter((row) => row.late)).toEqual([]);

    // Both ran the whole time, and both fired: the work was shared, not done by one.
    expect(exitedEarly).toBeUndefined();
    for (const server of [first, second]) {
      const ready = await fetch(`${server.url}/readyz`);
      await ready.arrayBuffer();
      expect(ready.status).toBe(200);
    }
    const split = counters.map((counter) => counter.total());
    console.log(
      `scheduler | two processes: ${armed} reminders, ${rows.length} notifications, fired ${split.join(' + ')}, lag max ${Math.max(...lags)} ms`,
    );
    expect(split[0]! + split[1]!).toBe(armed);
    expect(split[0]).toBeGreaterThan(0);
    expect(split[1]).toBeGreaterThan(0);

    await Promise.all([first.stop(), second.stop()]);
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
  }, 120_000);

  it('a reminder due while the server was down fires on start; late when more than a minute past', async () => {
    const db = database.db;
    const before = await serve();
    await before.waitReady();
    await before.stop();
    expect(await before.exited).toBe(0);

    // Down: one reminder due in 2 s, and one whose time we move 2 minutes into the past.
    const userId = await insertUser(db);
    const dueAt = Date.now() + 2000;
    const onTime = reminderOf({ at: new Date(dueAt) });
    const overdue = reminderOf({ at: new Date(dueAt + 1) });
    const task = await new TaskRepository(db).create(
      userId,
      taskFields({ title: 'Feed the cat', reminders: [onTime, overdue] }),
    );
    const [shifted] = await db.query<{ fire_at: Date }>(
      `UPDATE reminder_queue SET fire_at = now() - interval '2 minutes'
        WHERE task_id = $1 AND reminder_id = $2 RETURNING fire_at`,
      [task.id, overdue.id],
    );
    expect(shifted).toBeDefined();
    await sleep(3000);
    expect(await notificationsOf(db, [task.id])).toEqual([]);

    const startedAt = Date.now();
    const after = await serve();
    await after.waitReady();
    const readyAt = Date.now();
    const rows = await waitFor(
      'both notifications',
      async () => {
        const found = await notificationsOf(db, [task.id]);
        return found.length >= 2 ? found : undefined;
      },
      5_000,
    );
    expect(rows).toHaveLength(2);
    const byReminder = new Map(rows.map((row) => [row.reminder_id, row]));
    const late = byReminder.get(overdue.id)!;
    const notLate = byReminder.get(onTime.id)!;
    expect(notLate.late).toBe(false);
    expect(notLate.fire_at.getTime()).toBe(dueAt);
    expect(late.late).toBe(true);
    expect(late.fire_at.getTime()).toBe(new Date(shifted!.fire_at).getTime());
    for (const row of rows) {
      // Fired by the new process (after it was started), within a few seconds of its start.
      expect(row.fired_at.getTime()).toBeGreaterThanOrEqual(startedAt);
      expect(row.fired_at.getTime()).toBeLessThan(readyAt + 2000);
    }
    console.log(
      `scheduler | restart: process start to ready ${readyAt - startedAt} ms; fired ${rows.map((r) => r.fired_at.getTime() - startedAt).join(', ')} ms after the start`,
    );
    await after.stop();
    expect(await after.exited).toBe(0);
  }, 120_000);

  it('todo worker fires reminders on its own (REMINDERS_IN_SERVER=false) and exits 0 on SIGTERM', async () => {
    const db = database.db;
    const server = await serve({ REMINDERS_IN_SERVER: 'false' });
    await server.waitReady();
    const userId = await insertUser(db);
    const repository = new TaskRepository(db);

    // The server alone leaves a due reminder queued.
    const early = await repository.create(
      userId,
      taskFields({
        title: 'Water the plants',
        reminders: [reminderOf({ at: new Date(Date.now() + 500) })],
      }),
    );
    await sleep(1500);
    expect(await notificationsOf(db, [early.id])).toEqual([]);
    expect(await countRows(db, 'reminder_queue', 'task_id = $1', [early.id])).toBe(1);

    const started = worker();
    const [first] = await waitFor(
      'the worker to fire the waiting reminder',
      async () => {
        if (started.child.exitCode !== null) {
          throw new Error(`todo worker exited:\n${started.output()}`);
        }
        const rows = await notificationsOf(db, [early.id]);
        return rows.length > 0 ? rows : undefined;
      },
      30_000,
      50,
    );
    expect(first!.late).toBe(false);

    // And, running, one that comes due now, within the poll interval.
    const at = new Date(Date.now() + 1000);
    const next = await repository.create(
      userId,
      taskFields({ title: 'Take out the bins', reminders: [reminderOf({ at })] }),
    );
    const [fired] = await waitFor(
      'the worker to fire a reminder as it comes due',
      async () => {
        const rows = await notificationsOf(db, [next.id]);
        return rows.length > 0 ? rows : undefined;
      },
      5_000,
    );
    const lagMs = fired!.fired_at.getTime() - at.getTime();
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(600);

    const stopAt = performance.now();
    started.child.kill('SIGTERM');
    const code = await Promise.race([started.exited, sleep(10_000).then(() => 'still running')]);
    expect(code, started.output()).toBe(0);
    console.log(
      `scheduler | todo worker: fired ${lagMs} ms after its time; exited ${(performance.now() - stopAt).toFixed(0)} ms after SIGTERM`,
    );
    await server.stop();
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Email, end to end: an SMTP server on 127.0.0.1, the scheduler with the real mailer.

interface SmtpAttempt {
  subject: string;
  to: string[];
  startedAt: number;
  answeredAt?: number;
  accepted: boolean;
}

interface CapturedMail {
  subject: string;
  to: string[];
  text: string;
  html: string;
}

interface TestSmtp {
  port: number;
  attempts: SmtpAttempt[];
  messages: CapturedMail[];
  close(): Promise<void>;
}

/**
 * Answers each message with `reply` (undefined: accepted; a number: that SMTP code), after
 * `delayMs`; keeps every attempt with its times, and each accepted message parsed.
 */
async function startSmtp(
  reply: (attempt: SmtpAttempt, previous: SmtpAttempt[]) => { code?: number; delayMs?: number },
): Promise<TestSmtp> {
  const attempts: SmtpAttempt[] = [];
  const messages: CapturedMail[] = [];
  const options: SMTPServerOptions = {
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const startedAt = Date.now();
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        try {
          const parsed = await simpleParser(Buffer.concat(chunks));
          const attempt: SmtpAttempt = {
            subject: parsed.subject ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            startedAt,
            accepted: false,
          };
          const previous = attempts.filter((a) => a.subject === attempt.subject);
          attempts.push(attempt);
          const { code, delayMs } = reply(attempt, previous);
          if (delayMs) await sleep(delayMs);
          attempt.answeredAt = Date.now();
          if (code !== undefined) {
            callback(
              Object.assign(new Error('Refused by the test server'), { responseCode: code }),
            );
            return;
          }
          attempt.accepted = true;
          messages.push({
            subject: attempt.subject,
            to: attempt.to,
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          });
          callback();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    attempts,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('reminder emails through a real SMTP server', () => {
  let api: TestApi;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    // Nothing left for the next test's scheduler to fire or send.
    await api.database.db.exec(
      'DELETE FROM reminder_queue; UPDATE notifications SET email_due = NULL',
    );
  });
  afterAll(() => api?.close());

  /**
   * The scheduler with the real mailer, on a pool of its own with one connection (as the
   * app's role): both loops share it, and which connection a statement runs on is certain
   * (see the last two tests).
   */
  function schedule(
    smtp: TestSmtp,
    options: { retryBaseMs?: number; maxEmailAttempts?: number } = {},
  ): { scheduler: ReminderScheduler; logs: ReturnType<typeof captureLogs> } {
    const logs = captureLogs('debug');
    const db = openServerDatabase(api.config.DATABASE_URL!, 1);
    cleanups.push(() => db.close());
    const mailer = createReminderMailer(
      `smtp://127.0.0.1:${smtp.port}`,
      'Tasks <tasks@localhost>',
      { timeoutMs: 10_000 },
    );
    const scheduler = startReminderScheduler(db, logs.logger, {
      pollMs: 100,
      email: { mailer, taskUrl: (taskId) => `https://tasks.example.test/?task=${taskId}` },
      ...options,
    });
    cleanups.push(() => scheduler.stop());
    return { scheduler, logs };
  }

  /** The scheduler's warnings, for a failure message. */
  const warnings = (logs: ReturnType<typeof captureLogs>) =>
    logs.lines
      .filter((line) => line.level === 'warn')
      .map((line) => `${String(line.msg)}: ${String(line.reason)}`)
      .join('\n');

  async function smtp(reply: Parameters<typeof startSmtp>[0] = () => ({})): Promise<TestSmtp> {
    const server = await startSmtp(reply);
    cleanups.push(() => server.close());
    return server;
  }

  async function user(settings: { timezone?: string; email_reminders?: boolean } = {}) {
    const created = await buildUser(api, { name: 'Ada Lovelace' });
    if (Object.keys(settings).length > 0) {
      const response = await api.json('PATCH', '/api/me', created, settings);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    return created;
  }

  async function taskWithReminder(
    owner: TestUser,
    title: string,
    at: Date,
    dueDate: Date | null = null,
  ): Promise<TaskJson> {
    const response = await api.json('POST', '/api/tasks', owner, {
      title,
      due_date: dueDate?.toISOString() ?? null,
      reminders: [{ at: at.toISOString() }],
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as TaskJson;
  }

  const rowsOf = (taskIds: number[]) => notificationsOf(api.database.db, taskIds);

  it('sends one email, in the user’s time zone and with the link; none to a user who opted out', async () => {
    const server = await smtp();
    schedule(server);
    const ada = await user({ timezone: 'Europe/Berlin' });
    const bob = await user({ email_reminders: false });
    const at = new Date(Date.now() + 1000);
    const due = new Date('2030-07-01T10:00:00Z');
    const adas = await taskWithReminder(ada, 'Pay the rent', at, due);
    const bobs = await taskWithReminder(bob, 'Water the plants', at, due);

    await waitFor('the email', () => (server.messages.length > 0 ? true : undefined), 5_000);
    const [row] = await waitFor(
      'the notification marked emailed',
      async () => {
        const rows = await rowsOf([adas.id]);
        return rows[0]?.emailed_at ? rows : undefined;
      },
      2_000,
    );
    expect(row).toMatchObject({ user_id: ada.id, email_due: null, email_attempts: 1, late: false });
    // Bob's is there, with no email to send.
    const [bobRow] = await rowsOf([bobs.id]);
    expect(bobRow).toMatchObject({
      user_id: bob.id,
      email_due: null,
      emailed_at: null,
      email_attempts: 0,
    });
    await sleep(500);

    expect(server.messages).toHaveLength(1);
    const [mail] = server.messages;
    expect(mail!.to).toEqual([ada.email]);
    expect(mail!.subject).toBe('Reminder: Pay the rent');
    expect(mail!.text).toContain('Pay the rent');
    expect(mail!.text).toContain('Mon, 1 Jul 2030, 12:00 (Europe/Berlin)');
    expect(mail!.text).toContain(`https://tasks.example.test/?task=${adas.id}`);
    expect(mail!.html).toContain(`href="https://tasks.example.test/?task=${adas.id}"`);
    expect(mail!.text).not.toContain('late');

    // Both see their notification through the API.
    for (const [owner, task] of [
      [ada, adas],
      [bob, bobs],
    ] as const) {
      const response = await api.json('GET', '/api/notifications', owner);
      expect(response.status).toBe(200);
      const list = (await response.json()) as { task_id: number; title: string; late: boolean }[];
      expect(list).toEqual([
        expect.objectContaining({ task_id: task.id, title: task.title, late: false }),
      ]);
    }
  });

  it('retries a 451 after the backoff; meanwhile reminders fire on time and the API answers', async () => {
    const failing = 'Renew the passport';
    const retryBaseMs = 300;
    const server = await smtp((attempt, previous) =>
      attempt.subject.includes(failing) && previous.length === 0
        ? { code: 451, delayMs: 1500 } // a slow relay that then says "try again later"
        : {},
    );
    const { logs } = schedule(server, { retryBaseMs });
    const ada = await user();
    const t0 = Date.now() + 1000;
    const first = await taskWithReminder(ada, failing, new Date(t0));
    // Due while the first email hangs at the SMTP server.
    const second = await taskWithReminder(ada, 'Book the dentist', new Date(t0 + 700));

    await waitFor(
      'the first attempt to start',
      () => (server.attempts.length > 0 ? true : undefined),
      5_000,
      10,
    );
    // While it hangs: the API answers, and the second reminder fires on time.
    const apiStarted = performance.now();
    const response = await api.json('GET', '/api/notifications', ada);
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(performance.now() - apiStarted).toBeLessThan(500);
    const [secondRow] = await waitFor(
      'the second reminder',
      async () => {
        const rows = await rowsOf([second.id]);
        return rows.length > 0 ? rows : undefined;
      },
      3_000,
      20,
    );
    const failed = server.attempts[0]!;
    expect(failed.subject).toContain(failing);
    expect(secondRow!.fired_at.getTime() - secondRow!.fire_at.getTime()).toBeLessThan(500);
    // It fired while the first email was still waiting for the SMTP server's answer.
    expect(
      failed.answeredAt === undefined || secondRow!.fired_at.getTime() < failed.answeredAt,
    ).toBe(true);

    // The retry, after the backoff, is accepted.
    await waitFor(
      'the retry to be accepted',
      () => (server.messages.some((m) => m.subject.includes(failing)) ? true : undefined),
      10_000,
    );
    const tries = server.attempts.filter((a) => a.subject.includes(failing));
    expect(tries.map((a) => a.accepted)).toEqual([false, true]);
    const backoffMs = tries[1]!.startedAt - tries[0]!.answeredAt!;
    expect(backoffMs).toBeGreaterThanOrEqual(retryBaseMs - 50);
    expect(backoffMs).toBeLessThan(retryBaseMs + 2000);
    console.log(
      `scheduler | 451 then accepted: retried ${backoffMs} ms after the refusal (base ${retryBaseMs} ms)`,
    );
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'reminder email failed; will retry',
        attempt: 1,
      }),
    );
    // The other email went at its first try.
    await waitFor(
      'the second email',
      () =>
        server.messages.some((m) => m.subject.includes('Book the dentist')) ? true : undefined,
      5_000,
    );

    // Both rows say sent, and nothing goes twice.
    await sleep(1000);
    const rows = await rowsOf([first.id, second.id]);
    expect(rows[0], warnings(logs)).toMatchObject({ email_attempts: 2, email_due: null });
    expect(rows[0]!.emailed_at, warnings(logs)).not.toBeNull();
    expect(rows[1], warnings(logs)).toMatchObject({ email_attempts: 1, email_due: null });
    expect(rows[1]!.emailed_at, warnings(logs)).not.toBeNull();
    expect(server.messages.map((m) => m.subject).sort()).toEqual([
      'Reminder: Book the dentist',
      `Reminder: ${failing}`,
    ]);
  });

  it('gives up a permanent refusal (5xx) after one try', async () => {
    const server = await smtp(() => ({ code: 550 }));
    const { logs } = schedule(server, { retryBaseMs: 100 });
    const ada = await user();
    const task = await taskWithReminder(ada, 'Cancel the gym', new Date(Date.now() + 500));
    const [row] = await waitFor(
      'the email to be given up',
      async () => {
        const rows = await rowsOf([task.id]);
        return rows[0] && rows[0].email_attempts > 0 && rows[0].email_due === null
          ? rows
          : undefined;
      },
      5_000,
    );
    await sleep(600);
    expect(server.attempts).toHaveLength(1);
    expect(row).toMatchObject({ email_attempts: 1, email_due: null, emailed_at: null });
    expect((await rowsOf([task.id]))[0]).toMatchObject({ email_attempts: 1, email_due: null });
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'reminder email given up', attempt: 1 }),
    );
  });

  it('gives up temporary refusals after maxEmailAttempts, waiting longer each time', async () => {
    const server = await smtp(() => ({ code: 451 }));
    const { logs } = schedule(server, { retryBaseMs: 100, maxEmailAttempts: 3 });
    const ada = await user();
    const task = await taskWithReminder(ada, 'Renew the insurance', new Date(Date.now() + 500));
    const [row] = await waitFor(
      'the email to be given up',
      async () => {
        const rows = await rowsOf([task.id]);
        return rows[0] && rows[0].email_attempts >= 3 && rows[0].email_due === null
          ? rows
          : undefined;
      },
      10_000,
    );
    await sleep(800);
    expect(server.attempts).toHaveLength(3);
    expect(row).toMatchObject({ email_attempts: 3, email_due: null, emailed_at: null });
    const gaps = server.attempts
      .slice(1)
      .map((attempt, i) => attempt.startedAt - server.attempts[i]!.answeredAt!);
    expect(gaps[0]).toBeGreaterThanOrEqual(100 - 50);
    expect(gaps[1]).toBeGreaterThanOrEqual(200 - 50);
    expect(
      logs.lines.filter((line) => line.msg === 'reminder email failed; will retry'),
    ).toHaveLength(2);
    expect(logs.lines.filter((line) => line.msg === 'reminder email given up')).toHaveLength(1);
    console.log(`scheduler | 451 × 3: retried after ${gaps.join(' ms, ')} ms, then given up`);
  });

  // The scheduler sends two different statements under one prepared-statement name,
  // 'notification_email_done' (sent: `…($1, true, NULL)`; failed: `…($1, false, $2)`). On a
  // connection that has prepared one, node-postgres refuses the other ("Prepared statements
  // must be unique"). With one connection the order is certain; with a pool it happens
  // whenever the two land on the same connection.

  it('an email accepted after another was refused is marked sent, and sent once', async () => {
    const server = await smtp((attempt) =>
      attempt.subject.includes('first') ? { code: 550 } : {},
    );
    const { logs } = schedule(server, { retryBaseMs: 200 });
    const ada = await user();
    const refused = await taskWithReminder(
      ada,
      'Return the first book',
      new Date(Date.now() + 500),
    );
    const sent = await taskWithReminder(ada, 'Return the second book', new Date(Date.now() + 1500));
    await waitFor(
      'the second email',
      () => (server.messages.some((m) => m.subject.includes('second')) ? true : undefined),
      5_000,
    );
    await sleep(1000);
    const [refusedRow] = await rowsOf([refused.id]);
    expect(refusedRow).toMatchObject({ email_attempts: 1, email_due: null, emailed_at: null });
    const [sentRow] = await rowsOf([sent.id]);
    expect(sentRow!.emailed_at, warnings(logs)).not.toBeNull();
    expect(sentRow).toMatchObject({ email_attempts: 1, email_due: null });
    expect(
      server.messages.filter((m) => m.subject.includes('second')),
      warnings(logs),
    ).toHaveLength(1);
  });

  it('an email refused after another was sent is retried after the backoff, not the 5-minute lease', async () => {
    const server = await smtp((attempt, previous) =>
      attempt.subject.includes('second') && previous.length === 0 ? { code: 451 } : {},
    );
    const { logs } = schedule(server, { retryBaseMs: 200 });
    const ada = await user();
    await taskWithReminder(ada, 'Post the first letter', new Date(Date.now() + 500));
    const retried = await taskWithReminder(
      ada,
      'Post the second letter',
      new Date(Date.now() + 1500),
    );
    await waitFor(
      'the refusal',
      () => (server.attempts.some((a) => !a.accepted && a.answeredAt) ? true : undefined),
      5_000,
    );
    await sleep(1500);
    const [row] = await rowsOf([retried.id]);
    // Due again after 200 ms: tried again and sent by now, not left until the lease ends.
    expect(
      server.messages.filter((m) => m.subject.includes('second')),
      `${warnings(logs)}\nemail_due ${row!.email_due?.toISOString()}`,
    ).toHaveLength(1);
    expect(row).toMatchObject({ email_attempts: 2, email_due: null });
  });
});
