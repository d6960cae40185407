import type { Queryable, Row } from '../db/database.js';

/**
 * Failed sign-ins per account, in the database so every instance shares the count. Keyed by
 * an HMAC of the lower-cased email: an unknown email is limited exactly like a known one,
 * and the table never holds an email.
 *
 * Every attempt is counted before the password is checked (so a burst of parallel guesses
 * is counted too) and a success deletes the count. The first FREE_ATTEMPTS attempts are
 * free; each attempt after them locks the account for BASE_LOCK_SECONDS, doubling per
 * attempt up to MAX_LOCK_SECONDS (5 s, 10 s, 20 s … 15 min). A count is forgotten after
 * FORGET_AFTER_SECONDS without an attempt. Independent of AUTH_RATE_LIMIT (per address).
 */
export const SIGN_IN_LIMITS = {
  FREE_ATTEMPTS: 5,
  BASE_LOCK_SECONDS: 5,
  MAX_LOCK_SECONDS: 15 * 60,
  FORGET_AFTER_SECONDS: 24 * 3600,
} as const;

export type AttemptDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface AttemptRow extends Row {
  failures: number;
}

interface LockRow extends Row {
  retry_after: number | null;
}

// The new count, written once ($2 free attempts, $3 base lock, $4 max lock, $5 forget after).
const newCount = `CASE WHEN f.last_attempt_at < now() - make_interval(secs => $5) THEN 1 ELSE f.failures + 1 END`;

const claimAttempt = `
  INSERT INTO sign_in_failures AS f (account_key, failures, last_attempt_at, locked_until)
  VALUES ($1, 1, now(), CASE WHEN 1 > $2::int THEN now() + make_interval(secs => $3) END)
  ON CONFLICT (account_key) DO UPDATE SET
    failures = ${newCount},
    last_attempt_at = now(),
    locked_until = CASE WHEN ${newCount} > $2::int
      THEN now() + make_interval(secs => least($3::float8 * 2 ^ (${newCount} - $2::int - 1), $4::float8))
    END
  WHERE f.locked_until IS NULL OR f.locked_until <= now()
  RETURNING failures`;

const lockRemaining = `
  SELECT ceil(extract(epoch FROM locked_until - now()))::int AS retry_after
    FROM sign_in_failures WHERE account_key = $1`;

export class SignInLimiter {
  constructor(
    private readonly db: Queryable,
    private readonly limits: typeof SIGN_IN_LIMITS = SIGN_IN_LIMITS,
  ) {}

  /** Counts one attempt for the account, or says how long it is locked (nothing counted). */
  async attempt(accountKey: string): Promise<AttemptDecision> {
    const { FREE_ATTEMPTS, BASE_LOCK_SECONDS, MAX_LOCK_SECONDS, FORGET_AFTER_SECONDS } =
      this.limits;
    const claimed = await this.db.query<AttemptRow>(
      claimAttempt,
      [accountKey, FREE_ATTEMPTS, BASE_LOCK_SECONDS, MAX_LOCK_SECONDS, FORGET_AFTER_SECONDS],
      { name: 'sign_in_attempt' },
    );
    if (claimed.length > 0) return { allowed: true };
    const rows = await this.db.query<LockRow>(lockRemaining, [accountKey], {
      name: 'sign_in_lock_remaining',
    });
    // The lock may have ended between the two statements: one second is then honest enough.
    return { allowed: false, retryAfterSeconds: Math.max(1, rows[0]?.retry_after ?? 1) };
  }

  /** A successful sign-in starts the account's count over. */
  async succeeded(accountKey: string): Promise<void> {
    await this.db.query('DELETE FROM sign_in_failures WHERE account_key = $1', [accountKey], {
      name: 'sign_in_succeeded',
    });
  }
}
