import type { MiddlewareHandler } from 'hono';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError, Unauthorized } from '../errors.js';
import type { AppEnv, CurrentUser } from '../http/context.js';
import type { Auth } from './auth.js';
import { type JwtVerifier, looksLikeJwt } from './jwt-verifier.js';

/**
 * Every /api route outside /api/auth: the session cookie, a bearer session token, or a
 * bearer JWT. A JWT is verified locally; sessions are looked up by Better Auth. When that
 * lookup cannot reach the database the answer is 503, not 401.
 */
export function requireUser(auth: Auth, jwt: JwtVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (authorization && !bearer)
      throw Unauthorized('The Authorization header must be "Bearer <token>".');
    let user: CurrentUser | undefined;
    if (bearer && looksLikeJwt(bearer)) {
      const claims = await jwt.verify(bearer);
      if (!claims) throw Unauthorized('The token is not valid or has expired.');
      user = { id: claims.sub, email: claims.email, name: claims.name, via: 'jwt' };
    } else if (bearer || c.req.header('cookie')) {
      user = await sessionUser(auth, c.req.raw.headers, bearer ? 'session-token' : 'cookie');
    }
    if (!user) throw Unauthorized();
    c.set('user', user);
    await next();
  };
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
    assertDatabaseReachable(error);
    // Better Auth's own verdict on the token (an APIError with a 4xx status): not signed in.
    if (clientErrorStatus(error)) return undefined;
    throw error;
  }
  if (!session) return undefined;
  return { id: session.user.id, email: session.user.email, name: session.user.name, via };
}

/**
 * A session lookup that failed because the database could not be reached is a 503, decided
 * from the error alone: checking again would find the database back up, and turn the same
 * outage into a 500.
 */
function assertDatabaseReachable(error: unknown): void {
  if (isDatabaseUnavailable(error)) {
    throw new AppError('database_unavailable', 'The database is unavailable; try again shortly.');
  }
}

function clientErrorStatus(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
