import pg from 'pg';
import type { Database } from '../../src/db/database.js';

// Fault injection on the pg pool a server Database wraps (Better Auth's drizzle adapter
// shares it): the next n queries fail with a chosen error, later ones reach the database.

export interface FaultyPool {
  /** The next `n` queries reject with `error()`; resets the call count. */
  failNext(n?: number, error?: () => Error): void;
  /** Queries issued since the last failNext. */
  readonly calls: number;
}

/** What node-postgres throws when the server ends a connection under a query (57P01). */
export function terminatedByServer(): pg.DatabaseError {
  return sqlError('57P01', 'terminating connection due to administrator command', 'FATAL');
}

/** A statement error as node-postgres reports it. */
export function sqlError(code: string, message: string, severity = 'ERROR'): pg.DatabaseError {
  const error = new pg.DatabaseError(message, 0, 'error');
  error.code = code;
  error.severity = severity;
  return error;
}

export function injectFaults(db: Database): FaultyPool {
  const pool = (db as Database & { pool?: unknown }).pool;
  if (!(pool instanceof pg.Pool)) throw new Error('not a server database');
  type Query = (...args: unknown[]) => Promise<unknown>;
  const query = pool.query.bind(pool) as Query;
  let failing = 0;
  let calls = 0;
  let makeError: () => Error = terminatedByServer;
  (pool as unknown as { query: Query }).query = (...args) => {
    calls++;
    if (failing > 0) {
      failing--;
      return Promise.reject(makeError());
    }
    return query(...args);
  };
  return {
    failNext(n = 1, error = terminatedByServer) {
      failing = n;
      calls = 0;
      makeError = error;
    },
    get calls() {
      return calls;
    },
  };
}
