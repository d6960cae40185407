import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listArguments, type TaskFilters } from '../../src/tasks/list-query.js';
import { type Spawned, start } from './processes.js';
import { type UsageReport, UsageSampler } from './procfs.js';
import { percentile } from './server.js';
import {
  APP_ROLE,
  DATABASE,
  LISTS_PER_USER,
  SHARED_LISTS_PER_USER,
  TASKS_PER_USER,
  USER_ID_BASE,
  USERS,
} from './setup.js';

// The two load generators: wrk against the HTTP server (bench/workload.lua) and pgbench
// issuing the server's own SQL for the same mix, straight to PostgreSQL; and the measured
// window they run in.

export const CONNECTIONS = 32;
export const THREADS = 2;

export interface LoadResult {
  /** requests/s (wrk) or transactions/s (pgbench) over the measured window. */
  throughput: number;
  requests: number;
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  /** Non-2xx responses by status (wrk), or failed transactions (pgbench: "failed"). */
  errors: Record<string, number>;
  /** Socket errors (wrk): connect, read, write, timeout. */
  socketErrors?: Record<string, number>;
}

export interface LoadRun {
  process: Spawned;
  result: Promise<LoadResult>;
}

export interface MeasuredLoad {
  warmup: LoadResult;
  measured: LoadResult;
  usage: UsageReport;
}

/**
 * The load for a warm-up (not counted), then for the measured window while the CPU time of
 * the server, PostgreSQL and the load generator, and the server's memory, are sampled every
 * 200 ms.
 */
export async function measureLoad(
  launch: (seconds: number) => LoadRun,
  options: {
    warmupSeconds: number;
    seconds: number;
    serverPid: () => number | undefined;
    postmasterPid: () => number | undefined;
  },
): Promise<MeasuredLoad> {
  const warmup = await launch(options.warmupSeconds).result;
  const load = launch(options.seconds);
  const sampler = new UsageSampler(
    {
      server: options.serverPid,
      postgres: options.postmasterPid,
      loadGenerator: () => load.process.pid,
    },
    { rssOf: ['server'] },
  );
  sampler.start(200);
  const measured = await load.result.catch((error: unknown) => {
    sampler.stop();
    throw error;
  });
  return { warmup, measured, usage: sampler.stop() };
}

export const workloadScript = join(import.meta.dirname, '..', 'workload.lua');

/**
 * bench/workload.lua's modes: "mix", the request mix (with the list pages and creates into
 * lists when the data file holds the users' lists, and pages of shared lists when it holds
 * those); "mix-without-sharing", the mix before sharing (own lists only) whatever the data
 * file holds; "mix-without-lists", the mix before lists whatever the data file holds;
 * "list", the first page only.
 */
export type WorkloadMode = 'mix' | 'mix-without-sharing' | 'mix-without-lists' | 'list';

interface WrkJson {
  requests: number;
  duration_us: number;
  latency_us: { mean: number; max: number; p50: number; p90: number; p99: number };
  socket_errors: Record<string, number>;
  non_2xx: Record<string, number>;
}

/** wrk -t2 -c32 for `seconds` with the workload script; the parsed BENCH_RESULT line. */
export function startWrk(options: {
  port: number;
  seconds: number;
  dataFile: string;
  mode?: WorkloadMode;
  connections?: number;
  threads?: number;
}): LoadRun {
  const args = [
    `-t${options.threads ?? THREADS}`,
    `-c${options.connections ?? CONNECTIONS}`,
    `-d${options.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    workloadScript,
    `http://127.0.0.1:${options.port}`,
    '--',
    options.dataFile,
    options.mode ?? 'mix',
  ];
  const wrk = start('wrk', args);
  const result = wrk.exited.then((code): LoadResult => {
    const line = wrk
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('BENCH_RESULT '));
    if (code !== 0 || !line) {
      throw new Error(`wrk exited with ${code}:\n${wrk.stdout()}${wrk.stderr()}`);
    }
    const json = JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkJson;
    const seconds = json.duration_us / 1e6;
    const ms = (us: number) => us / 1000;
    return {
      throughput: json.requests / seconds,
      requests: json.requests,
      seconds,
      latencyMs: {
        p50: ms(json.latency_us.p50),
        p90: ms(json.latency_us.p90),
        p99: ms(json.latency_us.p99),
        mean: ms(json.latency_us.mean),
        max: ms(json.latency_us.max),
      },
      errors: json.non_2xx,
      socketErrors: json.socket_errors,
    };
  });
  return { process: wrk, result };
}

/**
 * The list call's arguments after the user id, exactly as the server passes them for the
 * first page of 20 in the default order.
 */
export function serverListArguments(filters: TaskFilters = {}): unknown[] {
  const args = listArguments('USER', { limit: 20, sort: 'created_at', order: 'desc', filters });
  if (args[0] !== 'USER') throw new Error('listArguments no longer puts the user id first');
  return args.slice(1);
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

// Stands for the list id in serverListArguments' answer, where the script puts its variable.
const LIST_ID_MARK = -1;

/**
 * The server's list arguments as SQL literals, for a pgbench script; with listVariable, the
 * page of one list, whose id is that variable of the script (lid or sid).
 */
export function listArgumentsSql(listVariable?: string): string {
  const args = serverListArguments(listVariable ? { listId: LIST_ID_MARK } : {});
  if (args.filter((value) => value === LIST_ID_MARK).length !== (listVariable ? 1 : 0)) {
    throw new Error('cannot tell the list id among the list arguments');
  }
  return args
    .map((value) =>
      value === LIST_ID_MARK
        ? `:${listVariable}`
        : value === null
          ? 'NULL'
          : typeof value === 'string'
            ? quote(value)
            : typeof value === 'number' || typeof value === 'boolean'
              ? String(value)
              : (() => {
                  throw new Error(`no SQL literal for ${JSON.stringify(value)}`);
                })(),
    )
    .join(', ');
}

/** The "mix" of bench/workload.lua (with lists and shared lists) and of the pgbench scripts, in words. */
export const MIX = `50 % \`GET /api/tasks?limit=20\` (own and shared lists), 6 % \`GET /api/tasks?limit=20&list_id={one of the user's ${LISTS_PER_USER} lists}\`, 14 % \`GET /api/tasks?limit=20&list_id={one of the ${SHARED_LISTS_PER_USER} lists shared with the user}\` (an own list before sharing), 15 % \`POST /api/tasks\` into one of the user's lists, 10 % \`PATCH /api/tasks/{id}/complete\`, 5 % \`GET /api/tasks/{id}\``;

/**
 * The statement of each pgbench script with its weight in the mix (bench/workload.lua's
 * "mix" with lists and shared lists): the server repository's
 * `SELECT * FROM task_list($1, …, $20)` etc. The one difference: the list's arguments other
 * than the user and the list are literals in the statement instead of parameters.
 */
function pgbenchMix(): Record<string, { weight: number; sql: string }> {
  return {
    list: { weight: 50, sql: `SELECT * FROM task_list(:uid, ${listArgumentsSql()})` },
    'list-one-list': {
      weight: 6,
      sql: `SELECT * FROM task_list(:uid, ${listArgumentsSql('lid')})`,
    },
    'list-shared-list': {
      weight: 14,
      sql: `SELECT * FROM task_list(:uid, ${listArgumentsSql('sid')})`,
    },
    create: {
      weight: 15,
      // After the idempotency key and fingerprint (none), the server's default
      // MAX_TASKS_PER_USER, the list, no parent: the same work as a POST.
      sql: 'SELECT * FROM task_create(:uid, :title, NULL, :status, :priority, :tags, NULL, NULL, NULL, 100000, :lid, NULL, NULL, NULL, NULL, NULL)',
    },
    toggle: { weight: 10, sql: 'SELECT * FROM task_toggle(:uid, :tid, NULL, NULL, NULL)' },
    get: { weight: 5, sql: 'SELECT * FROM task_get(:uid, :tid)' },
  };
}

/** The statements pgbench runs, as results.json records them. */
export function pgbenchStatements(): Record<string, string> {
  return Object.fromEntries(Object.entries(pgbenchMix()).map(([name, { sql }]) => [name, sql]));
}

/**
 * pgbench scripts for the mix, prepared (-M prepared). User n is random(0, USERS-1) and its
 * id is USER_ID_BASE + n (see setup.ts); its tasks are firstTaskId + n*TASKS_PER_USER + 0..49,
 * its lists firstListId + n*LISTS_PER_USER + 0..4, and :sid one of the lists shared with it,
 * setup.ts's sharedList(n, j) (an own list, as in workload.lua, when there are none).
 */
export function writePgbenchScripts(
  dir: string,
  layout: { firstTaskId: number; firstListId: number; sharedListsPerUser: number },
): string[] {
  const shared = layout.sharedListsPerUser > 0;
  const pick = [
    `\\set n random(0, ${USERS - 1})`,
    `\\set uid ${USER_ID_BASE} + :n`,
    `\\set tid ${layout.firstTaskId} + :n * ${TASKS_PER_USER} + random(0, ${TASKS_PER_USER - 1})`,
    `\\set lid ${layout.firstListId} + :n * ${LISTS_PER_USER} + random(0, ${LISTS_PER_USER - 1})`,
    ...(shared
      ? [
          `\\set j random(1, ${layout.sharedListsPerUser})`,
          `\\set owner (:n + :j) % ${USERS}`,
          `\\set sid ${layout.firstListId} + :owner * ${LISTS_PER_USER} + 1 + (:owner + :j) % ${LISTS_PER_USER - 1}`,
        ]
      : ['\\set sid :lid']),
  ].join('\n');
  const args: string[] = [];
  for (const [name, { weight, sql }] of Object.entries(pgbenchMix())) {
    const file = join(dir, `${name}.sql`);
    writeFileSync(file, `${pick}\n${sql};\n`);
    args.push('-f', `${file}@${weight}`);
  }
  return args;
}

export function startPgbench(options: {
  cluster: { port: number };
  seconds: number;
  scriptArgs: string[];
  /** Working directory for the per-transaction log (sampled) used for percentiles. */
  logDir: string;
  logSamplingRate?: number;
}): LoadRun {
  const rate = options.logSamplingRate ?? 0.1;
  const args = [
    '-n',
    '-M',
    'prepared',
    '-c',
    String(CONNECTIONS),
    '-j',
    String(THREADS),
    '-T',
    String(options.seconds),
    '-h',
    '127.0.0.1',
    '-p',
    String(options.cluster.port),
    '-U',
    APP_ROLE,
    // The create statement's values: the body the wrk script posts, as the server passes it.
    '-D',
    'title=Benchmark task',
    '-D',
    'status=pending',
    '-D',
    'priority=1',
    '-D',
    'tags={}',
    '-l',
    '--sampling-rate',
    String(rate),
    '--log-prefix',
    'pgbench_log',
    ...options.scriptArgs,
    DATABASE,
  ];
  for (const file of readdirSync(options.logDir)) {
    if (file.startsWith('pgbench_log')) rmSync(join(options.logDir, file));
  }
  const pgbench = start('pgbench', args, { cwd: options.logDir });
  const result = pgbench.exited.then((code): LoadResult => {
    const out = pgbench.stdout();
    if (code !== 0) throw new Error(`pgbench exited with ${code}:\n${out}${pgbench.stderr()}`);
    const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(out);
    const processed = /number of transactions actually processed: (\d+)/.exec(out);
    const failed = /number of failed transactions: (\d+)/.exec(out);
    const average = /latency average = ([\d.]+) ms/.exec(out);
    if (!tps || !processed) throw new Error(`cannot read pgbench's output:\n${out}`);
    const latencies: number[] = [];
    for (const file of readdirSync(options.logDir)) {
      if (!file.startsWith('pgbench_log')) continue;
      for (const line of readFileSync(join(options.logDir, file), 'utf8').split('\n')) {
        // client_id transaction_no time script_no time_epoch time_us [schedule_lag]
        const us = Number(line.split(' ')[2]);
        if (Number.isFinite(us) && line) latencies.push(us / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const failedCount = Number(failed?.[1] ?? 0);
    return {
      throughput: Number(tps[1]),
      requests: Number(processed[1]),
      seconds: options.seconds,
      latencyMs: {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        mean: Number(average?.[1] ?? Number.NaN),
        max: latencies.at(-1) ?? Number.NaN,
      },
      errors: failedCount > 0 ? { failed: failedCount } : {},
    };
  });
  return { process: pgbench, result };
}
