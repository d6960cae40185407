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

// Error codes that mean "could not talk to the database", not "the statement failed":
// socket errors from Node, and SQLSTATEs the server (or a pooler) sends as it goes away.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
]);

// node-postgres reports a dead or never-opened connection as a plain Error with no code;
// its wording is fixed by the driver. Wrappers (drizzle's "Failed query … params: …",
// Better Auth's APIError) are subclasses and may quote user data, so they are never matched.
const driverConnectionMessage =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Client has encountered a connection error|Query read timeout)/;

/**
 * Whether an error means the database could not be reached (refused, timed out, terminated,
 * shutting down, starting up), decided from the error itself and every error it wraps
 * (`cause`, AggregateError's `errors`), so a driver error wrapped by drizzle or Better Auth
 * is recognised too. Never a second round trip: by then the database may be back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 16) {
    const current = pending.shift();
    if (!(current instanceof Error) || seen.has(current)) continue;
    seen.add(current);
    if (current instanceof DatabaseUnavailableError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (unavailableCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
      return true;
    if (current.constructor === Error && driverConnectionMessage.test(current.message)) return true;
    pending.push(current.cause);
    if (current instanceof AggregateError) pending.push(...current.errors);
  }
  return false;
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
