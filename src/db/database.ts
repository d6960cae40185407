// One interface over the PostgreSQL server (node-postgres pool) and the embedded database
// (PGlite), so repositories, migrations and the CLI do not care which one they run on.

export type Row = Record<string, unknown>;

export interface QueryOptions {
  /** Name of a prepared statement: parsed and planned once per connection. */
  name?: string;
}

export interface Queryable {
  query<R extends Row = Row>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<R[]>;
  /** Runs a script of several statements (simple protocol, no parameters). */
  exec(sql: string): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Database extends Queryable {
  readonly kind: 'server' | 'embedded';
  /** One dedicated connection for fn: session state (advisory locks, BEGIN) stays on it. */
  withSession<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
  /** fn in one transaction on one connection; rolled back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/** A failure to reach the database (refused, timed out, terminated), as opposed to a SQL error. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

export async function inTransaction<T>(
  session: Queryable,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  await session.exec('BEGIN');
  try {
    const result = await fn(session);
    await session.exec('COMMIT');
    return result;
  } catch (error) {
    await session.exec('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Whether the database answers now; for telling "no such thing" from "could not look". */
export async function isReachable(db: Queryable): Promise<boolean> {
  try {
    await db.query('SELECT 1');
    return true;
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) return false;
    throw error;
  }
}
