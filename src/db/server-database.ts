import pg from 'pg';
import { type Logger, maskSecrets } from '../logger.js';
import { ChannelBindingClient } from './channel-binding.js';
import { parseConnectionUrl } from './connection-url.js';
import {
  type Database,
  DatabaseUnavailableError,
  inTransaction,
  isDatabaseUnavailable,
  type Queryable,
  type QueryOptions,
  type Row,
} from './database.js';
import type { DatabaseObserver } from './observer.js';
import { parseTimestamptz } from './timestamps.js';

export interface ServerDatabaseOptions {
  url: string;
  poolMax: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  slowQueryMs: number;
  /** Named prepared statements; off behind a transaction-mode pooler. */
  prepare: 'auto' | 'on' | 'off';
  logger: Logger;
  observer?: DatabaseObserver;
}

// Text values: bigint ids as numbers (they fit a double for 2^53 tasks, and the API speaks
// JSON numbers anyway); timestamptz by the faster parser of timestamps.ts.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    format === 'binary'
      ? pg.types.getTypeParser(oid, format)
      : oid === pg.types.builtins.INT8
        ? (v: string) => Number(v)
        : oid === pg.types.builtins.TIMESTAMPTZ
          ? parseTimestamptz
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createServerDatabase(options: ServerDatabaseOptions): Database & { pool: pg.Pool } {
  const target = parseConnectionUrl(options.url);
  const prepare = options.prepare === 'on' || (options.prepare === 'auto' && !target.pooled);
  const pool = new pg.Pool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    options: target.options,
    ssl: target.ssl,
    enableChannelBinding: target.enableChannelBinding,
    Client: target.requireChannelBinding ? ChannelBindingClient : undefined,
    application_name: target.applicationName ?? 'todo-service',
    max: options.poolMax,
    idleTimeoutMillis: options.idleTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // A startup parameter, so it costs no round trip; PgBouncer passes it through
    // only when listed in ignore_startup_parameters, so pooled URLs leave it to the server.
    statement_timeout: target.pooled ? undefined : options.statementTimeoutMs,
    types,
  } as pg.PoolConfig);
  const { logger, observer } = options;
  // An idle client losing its connection must not crash the process.
  pool.on('error', (error) => logger.warn({ err: describe(error) }, 'database connection lost'));

  const run = async <R extends Row>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params: readonly unknown[] | undefined,
    queryOptions: QueryOptions | undefined,
  ): Promise<R[]> => {
    const started = performance.now();
    try {
      const result = await client.query<R>({
        text,
        values: params as unknown[] | undefined,
        name: prepare ? queryOptions?.name : undefined,
      });
      return result.rows;
    } catch (error) {
      throw countedFailure(error, observer);
    } finally {
      const ms = performance.now() - started;
      observer?.onQuery?.(ms);
      if (ms >= options.slowQueryMs) {
        logger.warn(
          { statement: queryOptions?.name ?? text.slice(0, 120), ms: Math.round(ms) },
          'slow query',
        );
      }
    }
  };

  const sessionOn = (client: pg.PoolClient): Queryable => ({
    query: (text, params, queryOptions) => run(client, text, params, queryOptions),
    exec: async (sql) => {
      await run(client, sql, undefined, undefined);
    },
  });

  const acquire = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      throw countedFailure(error, observer);
    }
  };

  const database: Database & { pool: pg.Pool } = {
    kind: 'server',
    pool,
    query: (text, params, queryOptions) => run(pool, text, params, queryOptions),
    exec: async (sql) => {
      await run(pool, sql, undefined, undefined);
    },
    async withSession(fn) {
      const client = await acquire();
      let broken = false;
      try {
        return await fn(sessionOn(client));
      } catch (error) {
        broken = error instanceof DatabaseUnavailableError;
        throw error;
      } finally {
        // A session may hold advisory locks or settings: never hand it to someone else.
        client.release(broken ? true : undefined);
      }
    },
    transaction(fn) {
      return database.withSession((session) => inTransaction(session, fn));
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
  return database;
}

/** A failed statement, counted for the metrics; an unreachable database becomes DatabaseUnavailableError, its message free of credentials. */
function countedFailure(error: unknown, observer: DatabaseObserver | undefined): unknown {
  if (!(error instanceof Error)) return error;
  if (isDatabaseUnavailable(error)) {
    observer?.onConnectError?.();
    return new DatabaseUnavailableError(`database unavailable: ${maskSecrets(error.message)}`, {
      cause: error,
    });
  }
  observer?.onError?.();
  return error;
}

function describe(error: Error): { message: string; code?: string } {
  return { message: error.message, code: (error as { code?: string }).code };
}
