import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { redactUrl } from './connection-url.js';
import type { Database } from './database.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import type { DatabaseObserver } from './observer.js';
import { createServerDatabase } from './server-database.js';

export interface OpenOptions {
  logger: Logger;
  observer?: DatabaseObserver;
  /** Open DIRECT_DATABASE_URL (for migrations) instead of DATABASE_URL when it is set. */
  direct?: boolean;
  /** Size of the pool; defaults to DB_POOL_MAX. */
  poolMax?: number;
}

/** The server database when DATABASE_URL is set, else PGlite in DATA_DIR. */
export async function openDatabase(config: Config, options: OpenOptions): Promise<Database> {
  const url = (options.direct && config.DIRECT_DATABASE_URL) || config.DATABASE_URL;
  if (!url) return openEmbeddedDatabase(config.DATA_DIR);
  return createServerDatabase({
    url,
    poolMax: options.poolMax ?? config.DB_POOL_MAX,
    idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    slowQueryMs: config.DB_SLOW_QUERY_MS,
    prepare: config.DB_PREPARE,
    logger: options.logger.child({ database: redactUrl(url) }),
    observer: options.observer,
  });
}

/** Waits for the first connection with exponential backoff (a cold Neon compute takes seconds). */
export async function waitForDatabase(
  db: Database,
  retries: number,
  logger: Logger,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.query('SELECT 1');
      return;
    } catch (error) {
      if (attempt >= retries) throw error;
      const delay = Math.min(250 * 2 ** attempt, 5_000);
      logger.warn(
        { attempt: attempt + 1, retryInMs: delay, reason: (error as Error).message },
        'database not reachable yet',
      );
      await sleep(delay);
    }
  }
}
