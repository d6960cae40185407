import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../support/postgres-cluster.js';
import { type LoadResult, serverListArguments, startWrk } from './load.js';
import { percentile, startServer, stopServer, waitReady } from './server.js';
import {
  APP_ROLE,
  type BenchDatabase,
  type BenchUser,
  DATABASE,
  insertSessions,
  jwtFor,
  query,
  USER_ID_BASE,
} from './setup.js';

// The checks beside the throughput rounds: database round trips per request, list latency
// as one user's task count grows 100×, and cold start.

export interface Timing {
  p50: number;
  p90: number;
  p99: number;
}

function timing(ms: number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
}

async function timedRequest(
  url: string,
  init: RequestInit,
  expected: number,
): Promise<{ ms: number; body: unknown }> {
  const t0 = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  const ms = performance.now() - t0;
  if (response.status !== expected) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  }
  return { ms, body: text ? JSON.parse(text) : undefined };
}

export interface RoundTrips {
  operation: string;
  auth: 'jwt' | 'session token';
  requests: number;
  /** Top-level statements the app role ran, per request (pg_stat_statements calls). */
  perRequest: number;
  statements: { query: string; calls: number }[];
  /** Unloaded latency of these sequential requests. */
  latencyMs: Timing;
}

/**
 * For each operation: pg_stat_statements_reset(), `count` sequential requests, then the
 * calls the app role made. Tracks top-level statements only (the function's inner
 * statements are not round trips).
 */
export async function measureRoundTrips(
  db: BenchDatabase,
  baseUrl: string,
  user: BenchUser,
  count = 100,
): Promise<RoundTrips[]> {
  if (!db.pgStatStatements) return [];
  const [sessionToken] = await insertSessions(db.adminUrl, [user.id]);
  const jwt = { authorization: `Bearer ${user.jwt}` };
  const session = { authorization: `Bearer ${sessionToken}` };
  let k = 0;
  const taskId = () => user.taskIds[k++ % user.taskIds.length]!;
  const operations: {
    name: string;
    auth: RoundTrips['auth'];
    send: () => Promise<number>;
  }[] = [
    {
      name: 'list',
      auth: 'jwt',
      send: async () =>
        (await timedRequest(`${baseUrl}/api/tasks?limit=20`, { headers: jwt }, 200)).ms,
    },
    {
      name: 'list of one list',
      auth: 'jwt',
      send: async () =>
        (
          await timedRequest(
            `${baseUrl}/api/tasks?limit=20&list_id=${user.listIds[1]}`,
            { headers: jwt },
            200,
          )
        ).ms,
    },
    ...(user.sharedListIds.length > 0
      ? [
          {
            name: 'list of a shared list',
            auth: 'jwt' as const,
            send: async () =>
              (
                await timedRequest(
                  `${baseUrl}/api/tasks?limit=20&list_id=${user.sharedListIds[0]}`,
                  { headers: jwt },
                  200,
                )
              ).ms,
          },
        ]
      : []),
    {
      name: 'create',
      auth: 'jwt',
      send: async () =>
        (
          await timedRequest(
            `${baseUrl}/api/tasks`,
            {
              method: 'POST',
              headers: { ...jwt, 'content-type': 'application/json' },
              body: JSON.stringify({ title: 'Benchmark task', priority: 'low' }),
            },
            201,
          )
        ).ms,
    },
    {
      name: 'toggle',
      auth: 'jwt',
      send: async () =>
        (
          await timedRequest(
            `${baseUrl}/api/tasks/${taskId()}/complete`,
            { method: 'PATCH', headers: jwt },
            200,
          )
        ).ms,
    },
    {
      name: 'get',
      auth: 'jwt',
      send: async () =>
        (await timedRequest(`${baseUrl}/api/tasks/${taskId()}`, { headers: jwt }, 200)).ms,
    },
    {
      name: 'list',
      auth: 'session token',
      send: async () =>
        (await timedRequest(`${baseUrl}/api/tasks?limit=20`, { headers: session }, 200)).ms,
    },
  ];
  const results: RoundTrips[] = [];
  for (const operation of operations) {
    for (let i = 0; i < 10; i++) await operation.send(); // warm: prepared statements, caches
    await query(db.adminUrl, 'SELECT pg_stat_statements_reset()');
    const ms: number[] = [];
    for (let i = 0; i < count; i++) ms.push(await operation.send());
    const statements = await query<{ query: string; calls: string }>(
      db.adminUrl,
      `SELECT s.query, s.calls
         FROM pg_stat_statements s
         JOIN pg_roles r ON r.oid = s.userid
         JOIN pg_database d ON d.oid = s.dbid
        WHERE r.rolname = $1 AND d.datname = $2
        ORDER BY s.calls DESC`,
      [APP_ROLE, DATABASE],
    );
    const calls = statements.reduce((sum, s) => sum + Number(s.calls), 0);
    results.push({
      operation: operation.name,
      auth: operation.auth,
      requests: count,
      perRequest: calls / count,
      statements: statements.map((s) => ({
        query: s.query.replace(/\s+/g, ' ').slice(0, 160),
        calls: Number(s.calls),
      })),
      latencyMs: timing(ms),
    });
  }
  return results;
}

export interface ScalePoint {
  tasks: number;
  sequential: Timing;
  /** The first page of the list that holds the tasks (list_id); absent from runs before lists. */
  oneList?: Timing;
  underLoad?: LoadResult;
  explain: { executionMs: number; sharedHitBlocks: number; sharedReadBlocks: number; plan: string };
}

export interface ScaleCheck {
  userId: string;
  points: ScalePoint[];
  /** p50 at the largest size over p50 at the smallest (sequential). */
  ratioP50: number;
  /** The same for the first page of the list that holds the tasks. */
  ratioOneListP50?: number;
  ratioUnderLoadP50?: number;
}

/** `count` sequential GETs after 20 not counted (prepared statements, caches, plans). */
async function sequentialGets(
  url: string,
  headers: RequestInit['headers'],
  count: number,
): Promise<Timing> {
  for (let i = 0; i < 20; i++) await timedRequest(url, { headers }, 200);
  const ms: number[] = [];
  for (let i = 0; i < count; i++) ms.push((await timedRequest(url, { headers }, 200)).ms);
  return timing(ms);
}

/**
 * Tasks from..to for a user outside the load's 1000, spread over the past year, in the
 * user's Inbox, task g at the g-th position.
 */
async function addTasks(adminUrl: string, id: string, from: number, to: number): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    // The insert trigger would give every row the same created_at; replica mode skips it
    // (and the foreign key check) so the times are spread as in a real account. The list
    // and the position, which the trigger would fill in, are given here.
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(
      `INSERT INTO tasks (user_id, list_id, position, title, status, priority, created_at,
                          updated_at, completed_at)
       SELECT $1, (SELECT id FROM lists WHERE owner_id = $1 AND inbox), position_key(g),
              'Scale task ' || g, (ARRAY['pending', 'in_progress', 'completed'])[1 + g % 3],
              (g % 4)::smallint, ts, ts, CASE WHEN g % 3 = 2 THEN ts END
         FROM (SELECT g, date_trunc('milliseconds', now() - random() * interval '365 days') AS ts
                 FROM generate_series($2::int, $3::int) AS g) AS s`,
      [id, from, to],
    );
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE tasks');
  } finally {
    await client.end();
  }
}

async function explainList(db: BenchDatabase, id: string): Promise<ScalePoint['explain']> {
  // The statement task_list runs for this page (the default order, no filter: migrations/0009).
  const sql =
    'SELECT * FROM tasks WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2::integer';
  const limit = serverListArguments()[2];
  const client = new pg.Client({ connectionString: db.appUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.user_id', $1, true)`, [id]);
    const result = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
      [id, limit],
    );
    await client.query('COMMIT');
    const root = (
      result.rows[0]!['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[]
    )[0]!;
    const nodes: string[] = [];
    const walk = (node: PlanNode) => {
      nodes.push(
        node['Index Name'] ? `${node['Node Type']} (${node['Index Name']})` : node['Node Type'],
      );
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(root.Plan);
    return {
      executionMs: root['Execution Time'],
      sharedHitBlocks: root.Plan['Shared Hit Blocks'] ?? 0,
      sharedReadBlocks: root.Plan['Shared Read Blocks'] ?? 0,
      plan: nodes.join(' → '),
    };
  } finally {
    await client.end();
  }
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/**
 * neighbour: a seeded user whose small list's page is asked for first, on the same database
 * connection (the requests are sequential): in production a connection serves every user,
 * and the plan it keeps for a list's page is the one most users' small lists have made.
 */
export async function scaleCheck(
  db: BenchDatabase,
  baseUrl: string,
  port: number,
  workDir: string,
  neighbour: BenchUser,
  options: { sizes?: number[]; sequential?: number; loadSeconds?: number } = {},
): Promise<ScaleCheck> {
  const sizes = options.sizes ?? [1_000, 100_000];
  const id = String(USER_ID_BASE + 1_000_000n);
  await query(
    db.adminUrl,
    `INSERT INTO users (id, name, email, email_verified) VALUES ($1, 'Scale user', 'scale@example.test', true)`,
    [id],
  );
  const [inbox] = await query<{ id: string }>(
    db.adminUrl,
    'SELECT id FROM lists WHERE owner_id = $1 AND inbox',
    [id],
  );
  const [session] = await insertSessions(db.adminUrl, [id]);
  const jwt = await jwtFor(baseUrl, session!);
  const dataFile = join(workDir, 'scale-user.txt');
  const points: ScalePoint[] = [];
  let have = 0;
  for (const size of sizes) {
    await addTasks(db.adminUrl, id, have + 1, size);
    have = size;
    const firstId = await query<{ id: string }>(
      db.adminUrl,
      'SELECT min(id) AS id FROM tasks WHERE user_id = $1',
      [id],
    );
    writeFileSync(dataFile, `${jwt} ${firstId[0]!.id}\n`);
    const url = `${baseUrl}/api/tasks?limit=20`;
    const headers = { authorization: `Bearer ${jwt}` };
    const count = options.sequential ?? 200;
    const sequential = await sequentialGets(url, headers, count);
    await sequentialGets(
      `${url}&list_id=${neighbour.listIds[1]}`,
      { authorization: `Bearer ${neighbour.jwt}` },
      20,
    );
    const oneList = await sequentialGets(`${url}&list_id=${inbox!.id}`, headers, count);
    let underLoad: LoadResult | undefined;
    if (options.loadSeconds) {
      underLoad = await startWrk({ port, seconds: options.loadSeconds, dataFile, mode: 'list' })
        .result;
    }
    points.push({
      tasks: size,
      sequential,
      oneList,
      underLoad,
      explain: await explainList(db, id),
    });
  }
  const first = points[0]!;
  const last = points.at(-1)!;
  return {
    userId: id,
    points,
    ratioP50: last.sequential.p50 / first.sequential.p50,
    ratioOneListP50: last.oneList!.p50 / first.oneList!.p50,
    ratioUnderLoadP50:
      first.underLoad && last.underLoad
        ? last.underLoad.latencyMs.p50 / first.underLoad.latencyMs.p50
        : undefined,
  };
}

export interface ColdStart {
  embeddedMs: number[];
  serverMs: number[];
  serverMigrateOnStartMs: number[];
}

/**
 * Process start to the first 200 on /readyz: the embedded database in an empty DATA_DIR
 * (creates and migrates it), and the server database as the app role
 * (MIGRATE_ON_START=false) and as the owner with MIGRATE_ON_START=true (nothing pending).
 */
export async function coldStart(
  db: BenchDatabase,
  cwd: string,
  entry?: string,
  runs = 3,
): Promise<ColdStart> {
  const once = async (options: { databaseUrl?: string; env: Record<string, string> }) => {
    const port = await freePort();
    const started = performance.now();
    const server = startServer({
      port,
      cwd,
      entry,
      databaseUrl: options.databaseUrl,
      env: options.env,
    });
    try {
      await waitReady(server, port, { intervalMs: 5, timeoutMs: 120_000 });
      return performance.now() - started;
    } finally {
      await stopServer(server);
    }
  };
  const result: ColdStart = { embeddedMs: [], serverMs: [], serverMigrateOnStartMs: [] };
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'todo-bench-embedded-'));
    try {
      result.embeddedMs.push(
        await once({ env: { DATA_DIR: join(dataDir, 'data'), MIGRATE_ON_START: 'true' } }),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    result.serverMs.push(await once({ databaseUrl: db.appUrl, env: {} }));
    result.serverMigrateOnStartMs.push(
      await once({ databaseUrl: db.adminUrl, env: { MIGRATE_ON_START: 'true' } }),
    );
  }
  return result;
}
