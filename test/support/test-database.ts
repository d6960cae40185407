import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable } from '../../src/db/database.js';
import { openEmbeddedDatabase } from '../../src/db/embedded-database.js';
import { Migrator } from '../../src/db/migrator.js';
import { runtimeGroupRole } from '../../src/db/roles.js';
import { createServerDatabase } from '../../src/db/server-database.js';
import { createLogger } from '../../src/logger.js';

// Every test file gets its own database, built by the migrations (never by a schema push)
// and dropped afterwards, so files run in parallel and in any order.

export const adminUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const silentLogger = createLogger('silent');

export interface TestDatabase {
  name: string;
  /** URL of the test database, as the admin (superuser) role. */
  url: string;
  db: Database;
  drop(): Promise<void>;
}

export function urlFor(database: string, user?: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (user) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Rows of `table` matching the SQL condition `where` (with `params`). */
export async function countRows(
  db: Queryable,
  table: string,
  where = 'true',
  params: unknown[] = [],
): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    params,
  );
  return row!.n;
}

export function openServerDatabase(url: string, poolMax = 5): Database {
  return createServerDatabase({
    url,
    poolMax,
    idleTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 30_000,
    slowQueryMs: 10_000,
    prepare: 'auto',
    logger: silentLogger,
  });
}

export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `todo_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = urlFor(name);
  const db = openServerDatabase(url);
  if (options.migrate !== false) await new Migrator(db).migrate();
  return {
    name,
    url,
    db,
    async drop() {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * A login role as the server runs in production: not a superuser, not exempt from RLS, owning
 * nothing, with no grant of its own — only membership of the group role todo_runtime, which
 * the migrations (run as the admin, the owner) grant what the runtime may do.
 */
export async function createAppRole(
  database: TestDatabase,
): Promise<{ role: string; url: string }> {
  const role = `todo_app_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE ${runtimeGroupRole}`);
  return { role, url: urlFor(database.name, role) };
}

export async function dropRole(role: string, database: TestDatabase): Promise<void> {
  await database.db.exec(`DROP OWNED BY ${role}`);
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
}

/** PGlite in memory, migrated. */
export async function createEmbeddedTestDatabase(): Promise<Database> {
  const db = await openEmbeddedDatabase(undefined);
  await new Migrator(db).migrate();
  return db;
}

/** A migrated database of either kind, for tests that must hold on both engines. */
export async function openTestDatabase(
  kind: 'server' | 'embedded',
): Promise<{ db: Database; close(): Promise<void> }> {
  if (kind === 'embedded') {
    const db = await createEmbeddedTestDatabase();
    return { db, close: () => db.close() };
  }
  const server = await createTestDatabase();
  return { db: server.db, close: () => server.drop() };
}
