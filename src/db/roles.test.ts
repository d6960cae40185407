import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, testConfig } from '../../test/support/api.js';
import { buildTask, buildUser, taskFields } from '../../test/support/factories.js';
import { captureLogs } from '../../test/support/logs.js';
import {
  adminQuery,
  openServerDatabase,
  silentLogger,
  urlFor,
} from '../../test/support/test-database.js';
import { loadConfig } from '../config.js';
import { migrateOnStart, warnAboutRuntimeRole } from '../server.js';
import { TaskRepository } from '../tasks/repository.js';
import type { Database } from './database.js';
import { findMigrationsDirectory, loadMigrations, Migrator } from './migrator.js';
import { rolesScript, runtimeGroupRole } from './roles.js';

// Two roles: migrations run as an owner role that owns every object; the server runs as a
// login role that owns nothing and holds only what the migrations grant the group role
// todo_runtime: the rows of the product's tables and the product's functions. It cannot
// alter, drop, truncate or create a table, nor switch row-level security off. Every function
// pins its search_path and is executable by todo_runtime only; the list function takes typed
// parameters, never SQL text. The setup is the SQL that `todo db roles` prints.

const suffix = randomBytes(4).toString('hex');
const names = {
  owner: `todo_owner_${suffix}`,
  app: `todo_app_${suffix}`,
  database: `todo_roles_${suffix}`,
};
/** A login role with nothing granted: not the runtime. */
const stranger = `todo_stranger_${suffix}`;
const ownerUrl = urlFor(names.database, names.owner);
const appUrl = urlFor(names.database, names.app);

let appDb: Database;

/** A fresh connection as `url`'s role, for statements the app itself never sends. */
async function connected<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const script = rolesScript(names);
  for (const statement of script.cluster) await adminQuery(statement);
  await adminQuery(`CREATE ROLE ${stranger} LOGIN`);
  await adminQuery(`GRANT CONNECT ON DATABASE ${names.database} TO ${stranger}`);
  await connected(urlFor(names.database), async (client) => {
    for (const statement of script.database) await client.query(statement);
  });
  // As `todo serve` does: migrations through DIRECT_DATABASE_URL, the rest through DATABASE_URL.
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: appUrl,
    DIRECT_DATABASE_URL: ownerUrl,
    LOG_LEVEL: 'silent',
  });
  appDb = openServerDatabase(appUrl);
  await migrateOnStart(config, silentLogger, appDb);
}, 60_000);

afterAll(async () => {
  await appDb?.close();
  await adminQuery(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
  for (const role of [names.app, names.owner, stranger]) {
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  }
});

describe('the runtime role', () => {
  it('owns nothing: every table, sequence and function belongs to the owner role', async () => {
    const owners = await connected(ownerUrl, async (client) =>
      (
        await client.query<{ owner: string }>(
          `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
           UNION
           SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
        )
      ).rows.map((r) => r.owner),
    );
    expect(owners).toEqual([names.owner]);
    const [app] = (
      await adminQuery(
        `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,
                pg_has_role($1, $2, 'MEMBER') AS runtime, pg_has_role($1, $3, 'MEMBER') AS owner
           FROM pg_roles WHERE rolname = $1`,
        [names.app, runtimeGroupRole, names.owner],
      )
    ).rows;
    expect(app).toEqual({
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
      runtime: true,
      owner: false,
    });
  });

  it('cannot switch row-level security off, alter, drop, truncate or create a table (42501)', async () => {
    const refused = [
      'ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY',
      'ALTER TABLE tasks DISABLE ROW LEVEL SECURITY',
      'ALTER TABLE idempotency_keys NO FORCE ROW LEVEL SECURITY',
      'DROP POLICY tasks_read ON tasks',
      'ALTER TABLE tasks ADD COLUMN planted text',
      'DROP TABLE tasks',
      'DROP TABLE users CASCADE',
      'TRUNCATE tasks',
      'TRUNCATE sessions',
      'CREATE TABLE planted (id integer)',
      'CREATE FUNCTION planted() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$',
      'ALTER FUNCTION task_get(text, bigint) RESET search_path',
      'DELETE FROM schema_migrations',
    ];
    await connected(appUrl, async (client) => {
      for (const sql of refused) {
        await expect(client.query(sql), sql).rejects.toMatchObject({ code: '42501' });
      }
    });
    await connected(ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
          WHERE relname IN ('tasks', 'idempotency_keys') ORDER BY relname`,
      );
      expect(rows.every((r) => r.relrowsecurity && r.relforcerowsecurity)).toBe(true);
    });
  });

  it("reads and writes the rows of every table, Better Auth's included, and nothing more", async () => {
    const tables = [
      'users',
      'sessions',
      'accounts',
      'verifications',
      'jwks',
      'rate_limits',
      'tasks',
      'idempotency_keys',
    ];
    const privileges = [
      'SELECT',
      'INSERT',
      'UPDATE',
      'DELETE',
      'TRUNCATE',
      'REFERENCES',
      'TRIGGER',
    ];
    const rows = await appDb.query<{ table: string; privilege: string; held: boolean }>(
      `SELECT t AS table, p AS privilege, has_table_privilege(t, p) AS held
         FROM unnest($1::text[]) t, unnest($2::text[]) p`,
      [tables, privileges],
    );
    for (const { table, privilege, held } of rows) {
      expect(held, `${privilege} on ${table}`).toBe(
        ['SELECT', 'INSERT', 'UPDATE', 'DELETE'].includes(privilege),
      );
    }
    const [ledger] = await appDb.query<{ read: boolean; write: boolean; sequence: boolean }>(
      `SELECT has_table_privilege('schema_migrations', 'SELECT') AS read,
              has_table_privilege('schema_migrations', 'INSERT') AS write,
              has_sequence_privilege('tasks_id_seq', 'USAGE') AS sequence`,
    );
    expect(ledger).toEqual({ read: true, write: false, sequence: true });
  });

  it('serves the API: sign-up through Better Auth, tasks, readiness', async () => {
    const app = testApp(testConfig(appUrl), appDb);
    const user = await buildUser(app);
    await buildTask(app, user, { title: 'As the runtime role', tags: ['x'] });
    const list = await app.json('GET', '/api/tasks?tag=x&q=runtime&sort=title', user);
    expect(list.status).toBe(200);
    expect((await list.json()) as unknown[]).toHaveLength(1);
    expect((await app.json('GET', '/api/me/export', user)).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
    // Nothing pending: the runtime may check that itself (MIGRATE_ON_START with one URL).
    expect(await new Migrator(appDb).migrate()).toEqual([]);
  });
});

describe('the product functions', () => {
  it('all pin search_path (or bind their names when created) and are executable by todo_runtime, never by PUBLIC', async () => {
    const functions = await connected(
      ownerUrl,
      async (client) =>
        (
          await client.query<{
            signature: string;
            config: string[] | null;
            bound: boolean;
            public_execute: boolean;
            runtime_execute: boolean;
          }>(
            `SELECT p.oid::regprocedure::text AS signature, p.proconfig AS config,
                  p.prosqlbody IS NOT NULL AS bound,
                  coalesce(p.proacl, acldefault('f', p.proowner)) @> ARRAY[
                    makeaclitem(0, p.proowner, 'EXECUTE', false)] AS public_execute,
                  has_function_privilege($1, p.oid, 'EXECUTE') AS runtime_execute
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d
                               WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                 AND d.deptype = 'e')
            ORDER BY 1`,
            [runtimeGroupRole],
          )
        ).rows,
    );
    // At least these; any function a later migration adds is held to the same rules below.
    expect(functions.map((f) => f.signature.replace(/\(.*/, ''))).toEqual(
      expect.arrayContaining([
        'idempotency_keys_purge',
        'position_after',
        'position_between',
        'position_key',
        'task_counts',
        'task_create',
        'task_delete',
        'task_export_batch',
        'task_get',
        'task_list',
        'task_refuse_stale_version',
        'task_tags_are_valid',
        'task_toggle',
        'task_update',
        'tasks_before_insert',
        'tasks_before_update',
      ]),
    );
    for (const f of functions) {
      // A body bound at creation (SQL's RETURN or BEGIN ATOMIC) resolves no name when called:
      // it needs no search_path, and without one the planner can inline it.
      if (!f.bound) expect(f.config, f.signature).toEqual(['search_path=pg_catalog, public']);
      else expect(f.config, f.signature).toBeNull();
      expect(f.public_execute, f.signature).toBe(false);
      expect(f.runtime_execute, f.signature).toBe(true);
    }
  });

  it('cannot be called by a role that is not the runtime (42501)', async () => {
    await connected(urlFor(names.database, stranger), async (client) => {
      for (const sql of [
        "SELECT * FROM task_get('someone', 1)",
        "SELECT * FROM task_list('someone', 'created_at', true, 21, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
        "SELECT * FROM task_export_batch('someone', NULL, NULL, NULL, 10)",
        "SELECT * FROM task_counts('someone')",
        'SELECT idempotency_keys_purge()',
        "SELECT task_tags_are_valid('{x}')",
      ]) {
        await expect(client.query(sql), sql).rejects.toMatchObject({ code: '42501' });
      }
    });
  });

  it('include no function that runs SQL text it is given', async () => {
    await connected(appUrl, async (client) => {
      await expect(
        client.query("SELECT * FROM task_query('someone', 'SELECT * FROM tasks', '{}')"),
      ).rejects.toMatchObject({ code: '42883' });
    });
  });

  it('build the list only from fixed fragments: text arguments stay values', async () => {
    const [user] = await connected(ownerUrl, async (client) =>
      (
        await client.query<{ id: string }>(
          `INSERT INTO users (id, name, email) VALUES ($1, 'L', $1 || '@example.test') RETURNING id`,
          [`list-${suffix}`],
        )
      ).rows.map((r) => r.id),
    );
    const tasks = new TaskRepository(appDb);
    await tasks.create(user!, taskFields({ title: "It's 100% done_ \\ yes", tags: ['a'] }));
    await tasks.create(user!, taskFields({ title: 'Other', tags: ['b'] }));
    const list = (sort: string, search: string | null) =>
      appDb.query<{ title: string }>(
        'SELECT * FROM task_list($1, $2, true, 10, NULL, NULL, NULL, NULL, $3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
        [user, sort, search],
      );
    await expect(list('title; DROP TABLE tasks; --', null)).rejects.toMatchObject({
      code: '22023',
    });
    await expect(list('title, (SELECT 1)', null)).rejects.toMatchObject({ code: '22023' });
    for (const search of ["' OR true --", '%', '_', '\\', "It's 100% done_ \\"]) {
      const titles = (await list('title', search)).map((r) => r.title);
      expect(titles, search).toEqual(search === "' OR true --" ? [] : ["It's 100% done_ \\ yes"]);
    }
    expect((await list('title', null)).map((r) => r.title)).toEqual([
      'Other',
      "It's 100% done_ \\ yes",
    ]);
    const [present] = await appDb.query<{ tasks: boolean }>(
      "SELECT to_regclass('tasks') IS NOT NULL AS tasks",
    );
    expect(present?.tasks).toBe(true);
  });
});

describe('what a later migration creates', () => {
  it('is usable by the runtime with no manual grant, and its functions by nobody else', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'todo-migrations-'));
    try {
      const source = findMigrationsDirectory();
      for (const file of readdirSync(source))
        copyFileSync(join(source, file), join(directory, file));
      const next = loadMigrations(source).at(-1)!.version + 1;
      const prefix = String(next).padStart(4, '0');
      writeFileSync(
        join(directory, `${prefix}_later.up.sql`),
        `CREATE TABLE later_notes (id bigserial PRIMARY KEY, body text NOT NULL);
         CREATE FUNCTION later_count() RETURNS bigint LANGUAGE sql
           SET search_path = pg_catalog, public AS $$ SELECT count(*) FROM later_notes $$;`,
      );
      writeFileSync(
        join(directory, `${prefix}_later.down.sql`),
        'DROP FUNCTION later_count(); DROP TABLE later_notes;',
      );
      const owner = openServerDatabase(ownerUrl, 1);
      try {
        expect(await new Migrator(owner, loadMigrations(directory)).migrate()).toEqual([next]);
        await appDb.query("INSERT INTO later_notes (body) VALUES ('note')");
        const [count] = await appDb.query<{ n: unknown }>('SELECT later_count() AS n');
        expect(Number(count?.n)).toBe(1);
        await connected(urlFor(names.database, stranger), async (client) => {
          await expect(client.query('SELECT later_count()')).rejects.toMatchObject({
            code: '42501',
          });
        });
        await connected(appUrl, async (client) => {
          await expect(client.query('TRUNCATE later_notes')).rejects.toMatchObject({
            code: '42501',
          });
        });
        expect(await new Migrator(owner, loadMigrations(directory)).rollback()).toEqual([next]);
      } finally {
        await owner.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('the warning at start', () => {
  const warnings = async (url: string) => {
    const { logger, lines } = captureLogs('info');
    const db = openServerDatabase(url, 1);
    try {
      await warnAboutRuntimeRole(db, logger);
    } finally {
      await db.close();
    }
    return lines;
  };

  it('says nothing for the runtime role', async () => {
    expect(await warnings(appUrl)).toEqual([]);
  });

  it('is one line for the owner of the tables', async () => {
    const lines = await warnings(ownerUrl);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn' });
    expect(lines[0]!.msg).toContain(`connects as ${names.owner}, the owner of the tables`);
  });

  it('is one line for a superuser', async () => {
    const lines = await warnings(urlFor(names.database));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/, a superuser, /);
  });
});
