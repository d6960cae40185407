import type { MiddlewareHandler } from 'hono';
import { decodeJwt } from 'jose';
import { AppError, asAppError, fail } from '../errors.js';
import type { AppEnv, CurrentUser } from '../http/context.js';
import type { Logger } from '../logger.js';
import { type Auth, pseudonymOf } from './auth.js';
import { logAuthEvent } from './auth-policy.js';
import { clientAddress } from './client-address.js';
import { type JwtVerifier, looksLikeJwt } from './jwt-verifier.js';

export interface RequireUserOptions {
  /** Each 401 is logged here with the request id, client address and account pseudonym. */
  logger?: Logger;
  trustProxy?: boolean;
}

/**
 * Every /api route outside /api/auth: the session cookie, a bearer session token, or a
 * bearer JWT. A JWT is verified locally; sessions are looked up by Better Auth. When that
 * lookup cannot reach the database the answer is 503, not 401.
 */
export function requireUser(
  auth: Auth,
  jwt: JwtVerifier,
  options: RequireUserOptions = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    let user: CurrentUser | undefined;
    try {
      if (authorization && !bearer)
        throw fail.unauthorized('The Authorization header must be "Bearer <token>".');
      if (bearer && looksLikeJwt(bearer)) {
        const claims = await jwt.verify(bearer);
        if (!claims) throw fail.unauthorized('The token is not valid or has expired.');
        user = { id: claims.sub, email: claims.email, name: claims.name, via: 'jwt' };
      } else if (bearer || c.req.header('cookie')) {
        user = await sessionUser(auth, c.req.raw.headers, bearer ? 'session-token' : 'cookie');
      }
      if (!user) throw fail.unauthorized();
    } catch (error) {
      if (options.logger && error instanceof AppError && error.code === 'unauthorized') {
        const claimed = bearer && looksLikeJwt(bearer) ? claimedEmail(bearer) : undefined;
        logAuthEvent(
          options.logger,
          'api_unauthorized',
          {
            account: claimed ? pseudonymOf(auth, claimed) : undefined,
            status: 401,
            reason:
              !authorization && !c.req.header('cookie') ? 'no_credential' : 'invalid_credential',
          },
          {
            requestId: c.get('requestId'),
            clientAddress: clientAddress(c, options.trustProxy ?? false),
          },
        );
      }
      throw error;
    }
    c.set('user', user);
    await next();
  };
}

/** The email a JWT claims, unverified: only ever used as a pseudonym in a log line. */
function claimedEmail(token: string): string | undefined {
  try {
    const email = decodeJwt(token).email;
    return typeof email === 'string' ? email : undefined;
  } catch {
    return undefined;
  }
}

async function sessionUser(
  auth: Auth,
  headers: Headers,
  via: CurrentUser['via'],
): Promise<CurrentUser | undefined> {
  let session: Awaited<ReturnType<Auth['api']['getSession']>>;
  try {
    session = await auth.api.getSession({ headers, query: { disableRefresh: false } });
  } catch (error) {
    // Better Auth's own verdict on the token (an APIError with a 4xx status): not signed in.
    // Anything else, a database outage above all, is not a verdict: the error handler says
    // 503 or 500 from the error itself.
    if (clientErrorStatus(error) && asAppError(error).code !== 'database_unavailable') {
      return undefined;
    }
    throw error;
  }
  if (!session) return undefined;
  return { id: session.user.id, email: session.user.email, name: session.user.name, via };
}

function clientErrorStatus(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
