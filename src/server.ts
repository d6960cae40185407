import { serve } from '@hono/node-server';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { redactUrl } from './db/connection-url.js';
import type { Database } from './db/database.js';
import { Migrator } from './db/migrator.js';
import { openDatabase, waitForDatabase } from './db/open-database.js';
import { checkRuntimeRole, runtimeRoleWarning } from './db/roles.js';
import type { Logger } from './logger.js';
import { Metrics } from './ops/metrics.js';
import { startRemindersFor } from './reminders/worker.js';
import { scheduleIdempotencyPurge } from './tasks/idempotency-purge.js';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Applies pending migrations, through DIRECT_DATABASE_URL when the app's URL is a pooler. */
export async function migrateOnStart(
  config: Config,
  logger: Logger,
  db: Database,
): Promise<number> {
  const direct = config.DIRECT_DATABASE_URL
    ? await openDatabase(config, { logger, direct: true, poolMax: 1 })
    : db;
  try {
    const migrator = new Migrator(direct, undefined, {
      onApply: (m, _d, ms) =>
        logger.info(
          { migration: m.version, name: m.name, ms: Math.round(ms) },
          'migration applied',
        ),
    });
    await migrator.migrate();
    return migrator.latestVersion;
  } finally {
    if (direct !== db) await direct.close();
  }
}

/** Opens the database, migrates (unless MIGRATE_ON_START=false), and listens on HOST:PORT. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const metrics = new Metrics();
  const db = await openDatabase(config, { logger, observer: metrics.dbObserver });
  await waitForDatabase(db, config.DB_CONNECT_RETRIES, logger);
  if (config.MIGRATE_ON_START)
    metrics.migrationVersion.set(await migrateOnStart(config, logger, db));
  else metrics.migrationVersion.set((await new Migrator(db).currentVersion()).version);
  await warnAboutRuntimeRole(db, logger);
  const app = buildApp(config, logger, db, metrics);
  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('listening', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.PORT);
    });
    server.once('error', reject);
  });
  const where = config.DATABASE_URL
    ? redactUrl(config.DATABASE_URL)
    : `embedded PostgreSQL in ${config.DATA_DIR}`;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  logger.info({ url: `http://${host}:${port}`, database: where, pid: process.pid }, 'listening');
  const stopPurge = scheduleIdempotencyPurge(db, logger);
  const reminders = config.REMINDERS_IN_SERVER ? startRemindersFor(config, db, logger) : undefined;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      // Stop accepting, let in-flight requests finish, then close the pool.
      stopPurge();
      closing ??= Promise.all([
        reminders?.stop(),
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Idle keep-alive sockets would hold close() open.
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        }),
      ]).then(() => db.close());
      return closing;
    },
  };
}

/**
 * One warning line when the server's role could do more than the runtime's: a superuser or
 * BYPASSRLS role skips row-level security, and the tables' owner could switch it off.
 */
export async function warnAboutRuntimeRole(db: Database, logger: Logger): Promise<void> {
  // The embedded database has one role, a superuser, and one process: nothing to separate.
  if (db.kind !== 'server') return;
  try {
    const check = await checkRuntimeRole(db);
    const warning = runtimeRoleWarning(check);
    if (warning) logger.warn({ role: check.role }, warning);
  } catch {
    // Only advice: a failure to look is no reason not to start.
  }
}
