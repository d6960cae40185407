import { verifyPassword } from 'better-auth/crypto';
import type { Context } from 'hono';
import { type Auth, pseudonymOf } from '../auth/auth.js';
import { logAuthEvent } from '../auth/auth-policy.js';
import { clientAddress } from '../auth/client-address.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { Queryable, Row } from '../db/database.js';
import { fail } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import type { Logger } from '../logger.js';

/** How recent a session must be to delete the account without giving the password. */
export const FRESH_SESSION_SECONDS = 10 * 60;

export interface ReauthenticationDeps {
  auth: Auth;
  db: Queryable;
  limiter: SignInLimiter;
  logger: Logger;
  trustProxy: boolean;
}

interface CredentialRow extends Row {
  password: string | null;
}

/**
 * A fresh proof that the caller is the account holder, for what cannot be undone: the
 * password, or a session created within FRESH_SESSION_SECONDS. A bearer JWT (valid for up to
 * JWT_TTL_SECONDS after any sign-in) or an older session is not enough on its own. Each
 * password tried counts as a sign-in attempt for the account, under the same limit.
 */
export class Reauthentication {
  constructor(private readonly deps: ReauthenticationDeps) {}

  async require(
    c: Context<AppEnv>,
    account: { id: string; email: string },
    password: string | undefined,
  ): Promise<void> {
    if (password !== undefined) return this.checkPassword(c, account, password);
    const via = c.get('user').via;
    if (via !== 'jwt' && (await this.sessionIsFresh(c))) return;
    throw fail.reauthenticationRequired(
      'Deleting the account needs your password: send {"password": "…"} in the body.',
    );
  }

  private async sessionIsFresh(c: Context<AppEnv>): Promise<boolean> {
    const found = await this.deps.auth.api.getSession({ headers: c.req.raw.headers });
    if (!found) return false;
    const age = Date.now() - new Date(found.session.createdAt).getTime();
    return age >= 0 && age <= FRESH_SESSION_SECONDS * 1000;
  }

  private async checkPassword(
    c: Context<AppEnv>,
    account: { id: string; email: string },
    password: string,
  ): Promise<void> {
    const { auth, db, limiter, logger, trustProxy } = this.deps;
    const key = pseudonymOf(auth, account.email);
    const request = { requestId: c.get('requestId'), clientAddress: clientAddress(c, trustProxy) };
    const decision = await limiter.attempt(key);
    if (!decision.allowed) {
      logAuthEvent(
        logger,
        'rate_limited',
        { account: key, status: 429, reason: 'account', retry_after: decision.retryAfterSeconds },
        request,
      );
      throw fail.rateLimited(
        `Too many wrong passwords; try again in ${decision.retryAfterSeconds} seconds.`,
        decision.retryAfterSeconds,
      );
    }
    const rows = await db.query<CredentialRow>(
      `SELECT password FROM accounts WHERE user_id = $1 AND provider_id = 'credential'`,
      [account.id],
      { name: 'account_credential' },
    );
    const hash = rows[0]?.password;
    if (!hash || !(await verifyPassword({ hash, password }))) {
      logAuthEvent(
        logger,
        'sign_in_failed',
        { account: key, status: 403, reason: 'reauthentication' },
        request,
      );
      throw fail.wrongPassword();
    }
    await limiter.succeeded(key);
  }
}
