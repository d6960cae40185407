import type { MiddlewareHandler } from 'hono';
import type { Database } from '../db/database.js';
import { isReachable } from '../db/database.js';
import { AppError, Unauthorized } from '../errors.js';
import type { AppEnv, CurrentUser } from '../http/context.js';
import type { Auth } from './auth.js';
import { type JwtVerifier, looksLikeJwt } from './jwt-verifier.js';

/**
 * Every /api route outside /api/auth: the session cookie, a bearer session token, or a
 * bearer JWT. A JWT is verified locally; sessions are looked up by Better Auth. When that
 * lookup cannot reach the database the answer is 503, not 401.
 */
export function requireUser(auth: Auth, jwt: JwtVerifier, db: Database): MiddlewareHandler<AppEnv> {
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
      user = await sessionUser(auth, db, c.req.raw.headers, bearer ? 'session-token' : 'cookie');
    }
    if (!user) throw Unauthorized();
    c.set('user', user);
    await next();
  };
}

async function sessionUser(
  auth: Auth,
  db: Database,
  headers: Headers,
  via: CurrentUser['via'],
): Promise<CurrentUser | undefined> {
  let session: Awaited<ReturnType<Auth['api']['getSession']>>;
  try {
    session = await auth.api.getSession({ headers, query: { disableRefresh: false } });
  } catch (error) {
    await assertDatabaseReachable(db, error);
    return undefined;
  }
  if (session)
    return { id: session.user.id, email: session.user.email, name: session.user.name, via };
  // Better Auth may report "no session" when it could not look: tell the two apart.
  await assertDatabaseReachable(db);
  return undefined;
}

async function assertDatabaseReachable(db: Database, cause?: unknown): Promise<void> {
  if (!(await isReachable(db))) {
    throw new AppError('database_unavailable', 'The database is unavailable; try again shortly.');
  }
  if (cause && !(cause instanceof Error && /unauthori[sz]ed|invalid/i.test(cause.message)))
    throw cause;
}
