import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runtimeGroupRole } from '../../src/db/roles.js';
import { createPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { run } from './processes.js';
import { cliEntry, mapConcurrent, median } from './server.js';

// The bench's database: a throwaway PostgreSQL 15 cluster, migrated and seeded by the real
// CLI, with predictable user ids (so pgbench can name users without a lookup) and a role
// that is not a superuser (so row-level security really applies).

/** The machine's PostgreSQL: pgbench and pg_stat_statements must match the server's version. */
export const postgresBinDir = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export const DATABASE = 'todo_bench';
export const APP_ROLE = 'todo_bench_app';
export const USERS = 1000;
export const TASKS_PER_USER = 50;
/** The Inbox and the four lists `todo db seed` gives every user. */
export const LISTS_PER_USER = 5;
/**
 * Lists of other users each bench user is a member of, when the schema has sharing: the
 * first as a viewer, the others as an editor (sharedList).
 */
export const SHARED_LISTS_PER_USER = 3;
export const SEED_PASSWORD = 'password1234';
/**
 * Seeded user n (0-based) gets the id String(USER_ID_BASE + n): pgbench can compute it with
 * \set (its variables are numbers) and pass it as the same text parameter the server sends.
 */
export const USER_ID_BASE = 1_000_000_000_000_000_000n;
export const userId = (n: number) => String(USER_ID_BASE + BigInt(n));

/**
 * User n's j-th shared list (j = 1..SHARED_LISTS_PER_USER): a list of user (n + j) mod USERS,
 * never the Inbox, k = 1 + (owner + j) mod 4 among that owner's lists. An owner's three
 * members (from users owner - 1, - 2, - 3) so land on three different lists, one member each,
 * and the list left unshared turns with the owner. load.ts computes the same in pgbench.
 */
export function sharedList(
  n: number,
  j: number,
  firstListId: number,
): { id: number; role: 'viewer' | 'editor' } {
  const owner = (n + j) % USERS;
  const k = 1 + ((owner + j) % (LISTS_PER_USER - 1));
  return { id: firstListId + owner * LISTS_PER_USER + k, role: j === 1 ? 'viewer' : 'editor' };
}

const sharedListsOf = (n: number, firstListId: number) =>
  Array.from({ length: SHARED_LISTS_PER_USER }, (_, i) => sharedList(n, i + 1, firstListId));

export interface BenchDatabase {
  cluster: PostgresCluster;
  /** Superuser URL of the bench database. */
  adminUrl: string;
  /** URL of the bench database as the non-superuser app role. */
  appUrl: string;
  settings: Record<string, string>;
  pgStatStatements: boolean;
  /** Id of user n's first task; its tasks are firstTaskId + n*TASKS_PER_USER + 0..49. */
  firstTaskId: number;
  /**
   * Id of user n's Inbox; its lists are firstListId + n*LISTS_PER_USER + 0..4, the Inbox
   * first. Undefined for a build from before lists (its schema has none).
   */
  firstListId?: number;
  /**
   * Lists of others each user belongs to: SHARED_LISTS_PER_USER, or 0 for a build from
   * before sharing (its schema has no members).
   */
  sharedListsPerUser: number;
  seedSeconds: number;
  migrateSeconds: number;
  serverVersion: string;
}

export function hasPgStatStatements(): boolean {
  try {
    const share = execFileSync(join(postgresBinDir, 'pg_config'), ['--sharedir'], {
      encoding: 'utf8',
    }).trim();
    return existsSync(join(share, 'extension', 'pg_stat_statements.control'));
  } catch {
    return false;
  }
}

export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Runs statements one after the other on one superuser connection. */
export async function script(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

/** entry: the CLI that migrates and seeds (the build under test: its migrations). */
export async function createBenchDatabase(
  log: (line: string) => void,
  cwd: string,
  entry = cliEntry,
): Promise<BenchDatabase> {
  const pgStatStatements = hasPgStatStatements();
  const settings: Record<string, string> = {
    max_connections: '200',
    // Defaults otherwise (shared_buffers 128MB, fsync on, synchronous_commit on).
    ...(pgStatStatements
      ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'top' }
      : {}),
  };
  const cluster = await createPostgresCluster({ settings, binDir: postgresBinDir });
  try {
    await cluster.start();
    const serverVersion = String(
      (await cluster.query('SHOW server_version')).rows[0]?.server_version ?? '?',
    );
    await cluster.query(`CREATE DATABASE ${DATABASE}`);
    const adminUrl = cluster.urlFor(DATABASE);
    if (pgStatStatements) await query(adminUrl, 'CREATE EXTENSION pg_stat_statements');
    log(`cluster up: PostgreSQL ${serverVersion} on port ${cluster.port} (${cluster.dir})`);

    const cliEnv = { PATH: process.env.PATH, DATABASE_URL: adminUrl, NODE_ENV: 'production' };
    let started = performance.now();
    await run(process.execPath, [entry, 'db', 'migrate'], { cwd, env: cliEnv });
    const migrateSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await run(
      process.execPath,
      [entry, 'db', 'seed', '--users', String(USERS), '--tasks', String(TASKS_PER_USER), '--force'],
      { cwd, env: cliEnv },
    );
    const seedSeconds = (performance.now() - started) / 1000;
    log(
      `migrated in ${migrateSeconds.toFixed(1)} s; seeded ${USERS} users × ${TASKS_PER_USER} tasks in ${seedSeconds.toFixed(1)} s (todo db seed)`,
    );

    const { firstTaskId, firstListId } = await renumber(adminUrl);
    const sharedListsPerUser =
      firstListId === undefined ? 0 : await addMemberships(adminUrl, firstListId);
    log(
      sharedListsPerUser
        ? `memberships: every user a viewer of one list and an editor of ${sharedListsPerUser - 1} of other users'`
        : 'no list_members in this schema: no shared lists',
    );
    await createAppRole(adminUrl);
    const appUrl = cluster.urlFor(DATABASE, APP_ROLE);
    return {
      cluster,
      adminUrl,
      appUrl,
      settings,
      pgStatStatements,
      firstTaskId,
      firstListId,
      sharedListsPerUser,
      seedSeconds,
      migrateSeconds,
      serverVersion,
    };
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

/**
 * The seed gives users random UUIDs; pgbench cannot hold strings in its variables, so the
 * seeded users are renumbered to ids USER_ID_BASE + n, n in the order of their tasks' ids
 * (the seed inserts one user's tasks with one statement, so each user's ids are
 * consecutive), and their lists to firstListId + n*LISTS_PER_USER + k, the Inbox first. One
 * superuser transaction with session_replication_role = replica (the foreign keys' and the
 * update triggers do not fire: versions and times stay as seeded), then the tables are
 * rewritten without bloat, tasks and lists in key order: each user's rows together, as the
 * seed wrote them (the updates' joins leave them in any order: a page of 21 tasks then
 * reads 18 buffers instead of 5 or 6). Returns the first ids and checks the layout the
 * pgbench scripts rely on. A schema from before lists has no lists to renumber.
 */
async function renumber(adminUrl: string): Promise<{ firstTaskId: number; firstListId?: number }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const schema = await client.query<{ lists: boolean }>(
      `SELECT to_regclass('lists') IS NOT NULL AS lists`,
    );
    const hasLists = schema.rows[0]!.lists;
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(
      `CREATE TEMP TABLE bench_map ON COMMIT DROP AS
         SELECT user_id AS old_id,
                ($1::numeric + row_number() OVER (ORDER BY min(id)) - 1)::text AS new_id
           FROM tasks GROUP BY user_id`,
      [USER_ID_BASE.toString()],
    );
    await client.query('UPDATE users u SET id = m.new_id FROM bench_map m WHERE u.id = m.old_id');
    await client.query(
      `UPDATE accounts a SET user_id = m.new_id, account_id = m.new_id
         FROM bench_map m WHERE a.user_id = m.old_id`,
    );
    await client.query(
      'UPDATE tasks t SET user_id = m.new_id FROM bench_map m WHERE t.user_id = m.old_id',
    );
    // Replica mode checks no foreign key, so every other reference to a user is carried
    // over here (the lists' owners, the members, the creators of tasks, the task counts…).
    const rewritten = new Set(['users', 'accounts']);
    for (const ref of await references(client, 'users', ['accounts.user_id', 'tasks.user_id'])) {
      await client.query(
        `UPDATE ${ref.table} x SET ${ref.column} = m.new_id FROM bench_map m WHERE x.${ref.column} = m.old_id`,
      );
      rewritten.add(ref.table);
    }
    if (hasLists) {
      for (const table of await renumberLists(client)) rewritten.add(table);
    }
    await client.query('COMMIT');
    const clustered = ['tasks', ...(hasLists ? ['lists'] : [])];
    for (const table of rewritten) {
      if (!clustered.includes(table)) await client.query(`VACUUM (FULL) ${table}`);
    }
    for (const table of clustered) await client.query(`CLUSTER ${table} USING ${table}_pkey`);
    await client.query('VACUUM ANALYZE');
    const firstTaskId = await checkLayout(
      client,
      'SELECT user_id AS owner, id, NULL::boolean AS inbox FROM tasks',
      TASKS_PER_USER,
      'task',
    );
    if (!hasLists) return { firstTaskId };
    const firstListId = await checkLayout(
      client,
      'SELECT owner_id AS owner, id, inbox FROM lists',
      LISTS_PER_USER,
      'list',
    );
    const strays = await client.query<{ count: string }>(
      `SELECT count(*) FROM tasks t
        WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = t.list_id AND l.owner_id = t.user_id)`,
    );
    if (Number(strays.rows[0]!.count) !== 0) {
      throw new Error(`${strays.rows[0]!.count} seeded tasks are not in a list of their owner`);
    }
    return { firstTaskId, firstListId };
  } finally {
    await client.end();
  }
}

/**
 * The columns that reference `table`(id) alone, by a foreign key, as quoted identifiers;
 * but those in `except` ("table.column"), which the caller renumbers itself.
 */
async function references(
  client: pg.Client,
  table: string,
  except: string[],
): Promise<{ table: string; column: string }[]> {
  const rows = await client.query<{ table: string; column: string; name: string }>(
    `SELECT c.conrelid::regclass::text AS table, quote_ident(a.attname) AS column,
            c.conrelid::regclass::text || '.' || a.attname AS name
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid = $1::regclass AND cardinality(c.conkey) = 1
      ORDER BY 3`,
    [table],
  );
  return rows.rows.filter((r) => !except.includes(r.name));
}

/**
 * Inside renumber's transaction, after the users (bench_map, which the lists' owners have
 * followed): user n's lists get the ids firstListId + n*LISTS_PER_USER + k (k = 0 the Inbox,
 * then in the order they were made), above every id the seed used so that no new id meets
 * an old one; the tasks and whatever else references a list (the members) follow. The ids
 * are GENERATED ALWAYS, which UPDATE may set only while the column is made BY DEFAULT; the
 * sequence then continues after the last. Returns the other tables it rewrote.
 */
async function renumberLists(client: pg.Client): Promise<string[]> {
  await client.query('ALTER TABLE lists ALTER COLUMN id SET GENERATED BY DEFAULT');
  await client.query(
    `CREATE TEMP TABLE bench_list_map ON COMMIT DROP AS
       SELECT id AS old_id,
              (SELECT max(id) FROM lists) + 1 + (owner_id::numeric - $1::numeric)::bigint * $2
                + row_number() OVER (PARTITION BY owner_id ORDER BY inbox DESC, id) - 1 AS new_id
         FROM lists`,
    [USER_ID_BASE.toString(), LISTS_PER_USER],
  );
  await client.query(
    'UPDATE lists l SET id = m.new_id FROM bench_list_map m WHERE l.id = m.old_id',
  );
  await client.query(
    'UPDATE tasks t SET list_id = m.new_id FROM bench_list_map m WHERE t.list_id = m.old_id',
  );
  const rewritten: string[] = [];
  for (const ref of await references(client, 'lists', ['tasks.list_id'])) {
    await client.query(
      `UPDATE ${ref.table} x SET ${ref.column} = m.new_id FROM bench_list_map m WHERE x.${ref.column} = m.old_id`,
    );
    rewritten.push(ref.table);
  }
  await client.query('ALTER TABLE lists ALTER COLUMN id SET GENERATED ALWAYS');
  await client.query(
    `SELECT setval(pg_get_serial_sequence('lists', 'id'), (SELECT max(id) FROM lists))`,
  );
  return rewritten;
}

/**
 * Makes every bench user n a member of SHARED_LISTS_PER_USER lists of other users
 * (sharedList), when the schema has members; returns that number, or 0 without them. Run
 * after the renumbering, so the ids are final; the owners' rows exist already (made with
 * their lists, then renumbered with them), and are checked here.
 */
async function addMemberships(adminUrl: string, firstListId: number): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const schema = await client.query<{ members: boolean }>(
      `SELECT to_regclass('list_members') IS NOT NULL AS members`,
    );
    if (!schema.rows[0]!.members) return 0;
    const lists: number[] = [];
    const users: string[] = [];
    const roles: string[] = [];
    for (let n = 0; n < USERS; n++) {
      for (const shared of sharedListsOf(n, firstListId)) {
        lists.push(shared.id);
        users.push(userId(n));
        roles.push(shared.role);
      }
    }
    await client.query(
      `INSERT INTO list_members (list_id, user_id, role)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])`,
      [lists, users, roles],
    );
    await client.query('VACUUM ANALYZE list_members');
    const check = await client.query<{ owners: string; members: string; strangers: string }>(
      `SELECT (SELECT count(*) FROM lists l JOIN list_members m
                  ON m.list_id = l.id AND m.user_id = l.owner_id AND m.role = 'owner') AS owners,
              (SELECT count(*) FROM list_members WHERE role <> 'owner') AS members,
              (SELECT count(*) FROM list_members m JOIN lists l ON l.id = m.list_id
                WHERE m.role <> 'owner' AND (l.inbox OR l.owner_id = m.user_id)) AS strangers`,
    );
    const { owners, members, strangers } = check.rows[0]!;
    if (
      Number(owners) !== USERS * LISTS_PER_USER ||
      Number(members) !== USERS * SHARED_LISTS_PER_USER ||
      Number(strangers) !== 0
    ) {
      throw new Error(
        `list members are not as laid out: ${owners} owners of ${USERS * LISTS_PER_USER} lists, ${members} other members (${strangers} in an Inbox or their own list)`,
      );
    }
    return SHARED_LISTS_PER_USER;
  } finally {
    await client.end();
  }
}

/**
 * Checks that the rows of `rows` (owner, id, inbox) are laid out as owner n ->
 * first + n*perUser + k for k = 0..perUser-1, for every one of the USERS, and that k = 0 and
 * only it is an Inbox (unless inbox is NULL: tasks); returns `first`.
 */
async function checkLayout(
  client: pg.Client,
  rows: string,
  perUser: number,
  noun: string,
): Promise<number> {
  const layout = await client.query<{ first: string; bad: string; users: string }>(
    `WITH r AS (${rows}),
          t AS (
       SELECT (owner::numeric - $1::numeric)::int AS n, id, inbox,
              min(id) OVER () AS first,
              row_number() OVER (PARTITION BY owner ORDER BY id) - 1 AS k
         FROM r)
     SELECT min(first) AS first, count(DISTINCT n) AS users,
            count(*) FILTER (WHERE id <> first + n * $2 + k OR k >= $2 OR inbox <> (k = 0)) AS bad
       FROM t`,
    [USER_ID_BASE.toString(), perUser],
  );
  const row = layout.rows[0]!;
  if (Number(row.bad) !== 0 || Number(row.users) !== USERS) {
    throw new Error(
      `seeded ${noun} ids are not laid out as user n -> first + n*${perUser} + k (${row.bad} rows differ, ${row.users} users)`,
    );
  }
  return Number(row.first);
}

/**
 * The server's runtime role as in production: neither superuser nor BYPASSRLS, owning nothing,
 * a member of the group role the migrations grant rows and functions to.
 */
async function createAppRole(adminUrl: string): Promise<void> {
  await script(adminUrl, [
    `CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE ${runtimeGroupRole}`,
  ]);
}

export interface BenchUser {
  n: number;
  id: string;
  email: string;
  jwt: string;
  taskIds: number[];
  /** The user's lists, the Inbox first; none for a build from before lists. */
  listIds: number[];
  /** Other users' lists this user is a member of (sharedList); none before sharing. */
  sharedListIds: number[];
}

export interface MintReport {
  /** Users signed in through POST /api/auth/sign-in/email (scrypt), then /api/auth/token;
   * 8 at a time, so the median includes waiting for the others' hashes. */
  signedIn: number;
  signInMsMedian: number;
  /** Users given a session row inserted by SQL, then /api/auth/token with it. */
  fromSessionRows: number;
  tokenMsMedian: number;
  seconds: number;
}

/** Session rows for the given users, as Better Auth would store them; returns the tokens. */
export async function insertSessions(adminUrl: string, ids: string[]): Promise<string[]> {
  const tokens = ids.map(() => randomBytes(24).toString('base64url'));
  await query(
    adminUrl,
    `INSERT INTO sessions (id, user_id, token, expires_at, ip_address, user_agent)
     SELECT gen_random_uuid()::text, u, t, now() + interval '1 day', '127.0.0.1', 'todo-bench'
       FROM unnest($1::text[], $2::text[]) AS x(u, t)`,
    [ids, tokens],
  );
  return tokens;
}

/** GET /api/auth/token with a session token: Better Auth's EdDSA JWT. */
export async function jwtFor(baseUrl: string, sessionToken: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/token`, {
    headers: { authorization: `Bearer ${sessionToken}` },
  });
  const body = (await response.json()) as { token?: string };
  if (response.status !== 200 || !body.token) {
    throw new Error(`/api/auth/token answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.token;
}

/** The real sign-in: POST /api/auth/sign-in/email, whose set-auth-token is a session token. */
export async function signIn(baseUrl: string, email: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password: SEED_PASSWORD }),
  });
  const token = response.headers.get('set-auth-token');
  await response.arrayBuffer();
  if (response.status !== 200 || !token) {
    throw new Error(`sign-in of ${email} answered ${response.status}`);
  }
  return token;
}

/**
 * One JWT per user: the first `signInSample` users sign in for real (scrypt, ~50 ms each on
 * the server's main thread) to prove that path; the others get a session row by SQL and
 * call /api/auth/token with it (the same JWT issuance, without 1000 scrypt hashes).
 */
export async function mintUsers(
  db: BenchDatabase,
  baseUrl: string,
  signInSample = 16,
): Promise<{ users: BenchUser[]; report: MintReport }> {
  const started = performance.now();
  const rows = await query<{ id: string; email: string; task_ids: string[] }>(
    db.adminUrl,
    `SELECT u.id, u.email, array_agg(t.id ORDER BY t.id)::text[] AS task_ids
       FROM users u JOIN tasks t ON t.user_id = u.id
      WHERE u.id::numeric BETWEEN $1::numeric AND $1::numeric + $2 - 1
      GROUP BY u.id, u.email ORDER BY u.id::numeric`,
    [USER_ID_BASE.toString(), USERS],
  );
  const sample = rows.slice(0, signInSample);
  const rest = rows.slice(signInSample);
  const signInMs: number[] = [];
  const sampleJwts = await mapConcurrent(sample, 8, async (row) => {
    const t0 = performance.now();
    const session = await signIn(baseUrl, row.email);
    signInMs.push(performance.now() - t0);
    return jwtFor(baseUrl, session);
  });
  const sessionTokens = await insertSessions(
    db.adminUrl,
    rest.map((r) => r.id),
  );
  const tokenMs: number[] = [];
  const restJwts = await mapConcurrent(sessionTokens, 16, async (token) => {
    const t0 = performance.now();
    const jwt = await jwtFor(baseUrl, token);
    tokenMs.push(performance.now() - t0);
    return jwt;
  });
  const jwts = [...sampleJwts, ...restJwts];
  const firstListId = db.firstListId;
  const listIdsOf = (n: number) =>
    firstListId === undefined
      ? []
      : Array.from({ length: LISTS_PER_USER }, (_, k) => firstListId + n * LISTS_PER_USER + k);
  const sharedListIdsOf = (n: number) =>
    firstListId === undefined || db.sharedListsPerUser === 0
      ? []
      : sharedListsOf(n, firstListId).map((shared) => shared.id);
  const users = rows.map((row, n) => {
    const jwt = jwts[n]!;
    const sub = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')).sub;
    if (sub !== row.id) throw new Error(`JWT of user ${row.id} names ${sub}`);
    return {
      n,
      id: row.id,
      email: row.email,
      jwt,
      taskIds: row.task_ids.map(Number),
      listIds: listIdsOf(n),
      sharedListIds: sharedListIdsOf(n),
    };
  });
  return {
    users,
    report: {
      signedIn: sample.length,
      signInMsMedian: median(signInMs),
      fromSessionRows: rest.length,
      tokenMsMedian: median(tokenMs),
      seconds: (performance.now() - started) / 1000,
    },
  };
}

/**
 * The wrk data file: one line per user,
 * "<jwt> <task id>,<task id>,... [<list id>,... [<shared list id>,...]]".
 */
export function writeDataFile(path: string, users: BenchUser[]): void {
  writeFileSync(
    path,
    users
      .map(
        (u) =>
          `${[u.jwt, u.taskIds.join(','), u.listIds.join(','), u.sharedListIds.join(',')].join(' ').trim()}\n`,
      )
      .join(''),
  );
}
