import { serve } from '@hono/node-server';
import type { Config } from './config.js';
import { redactUrl } from './db/connection-url.js';
import { Migrator } from './db/migrator.js';
import { openDatabase, waitForDatabase } from './db/open-database.js';
import { createApp } from './http/app.js';
import type { Logger } from './logger.js';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Opens the database, migrates (unless MIGRATE_ON_START=false), and listens on HOST:PORT. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const db = await openDatabase(config, { logger });
  await waitForDatabase(db, config.DB_CONNECT_RETRIES, logger);
  const where = config.DATABASE_URL
    ? redactUrl(config.DATABASE_URL)
    : `embedded PostgreSQL in ${config.DATA_DIR}`;
  const migrator = new Migrator(db);
  if (config.MIGRATE_ON_START) {
    // Migrations go through the direct URL when the app's URL is a pooler.
    const direct = config.DIRECT_DATABASE_URL
      ? await openDatabase(config, { logger, direct: true, poolMax: 1 })
      : db;
    try {
      const applied = await new Migrator(direct, undefined, {
        onApply: (m, _d, ms) =>
          logger.info(
            { migration: m.version, name: m.name, ms: Math.round(ms) },
            'migration applied',
          ),
      }).migrate();
      if (applied.length === 0) logger.debug('database schema is up to date');
    } finally {
      if (direct !== db) await direct.close();
    }
  }
  const app = createApp({ config, logger, db, migrator });
  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('listening', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.PORT);
    });
    server.once('error', reject);
  });
  logger.info(
    {
      url: `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`,
      database: where,
    },
    'listening',
  );
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      // Stop accepting, let in-flight requests finish, then close the pool.
      closing ??= new Promise<void>((resolve) => server.close(() => resolve())).then(() =>
        db.close(),
      );
      return closing;
    },
  };
}
