import { randomUUID } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { bearer, jwt, openAPI } from 'better-auth/plugins';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { EmbeddedDatabase } from '../db/embedded-database.js';
import type { Logger } from '../logger.js';
import { accountPseudonym } from './account-pseudonym.js';
import { authPolicy } from './auth-policy.js';
import { authSchema } from './auth-schema.js';
import { resolveAuthSecret } from './auth-secret.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy.js';
import { SignInLimiter } from './sign-in-limiter.js';

/** The header our server sets to the client's address; any value a client sends is replaced. */
export const CLIENT_IP_HEADER = 'x-todo-client-ip';

export function publicBaseUrl(config: Config): string {
  return config.BETTER_AUTH_URL ?? `http://localhost:${config.PORT}`;
}

/**
 * Origins whose forms and fetches may use /api/auth. Without BETTER_AUTH_URL the server is
 * being tried on this machine: the loopback names of PORT are all the same site.
 */
export function trustedOrigins(config: Config): string[] {
  const own = config.BETTER_AUTH_URL
    ? [new URL(config.BETTER_AUTH_URL).origin]
    : ['localhost', '127.0.0.1', '[::1]'].map((host) => `http://${host}:${config.PORT}`);
  return [...own, ...config.CORS_ORIGINS];
}

// Better Auth's messages may quote an email ("Sign-up attempt for existing email: …").
const EMAIL_IN_TEXT = /[^\s@:,;"'<>()]+@[^\s@:,;"'<>()]+\.[^\s@:,;"'<>()]+/g;
const withoutEmails = (text: string) => text.replace(EMAIL_IN_TEXT, '[email]');

/**
 * Better Auth over our database. `limiter` is the per-account sign-in count, shared with the
 * password check before deleting an account.
 */
export function createAuth(
  config: Config,
  db: Database,
  logger: Logger,
  limiter = new SignInLimiter(db),
) {
  const orm =
    'pglite' in db
      ? drizzlePglite((db as EmbeddedDatabase).pglite, { schema: authSchema })
      : drizzlePg((db as Database & { pool: import('pg').Pool }).pool, { schema: authSchema });
  const baseURL = publicBaseUrl(config);
  const secret = resolveAuthSecret(config, logger);
  return betterAuth({
    appName: 'Todo',
    baseURL,
    basePath: '/api/auth',
    secret,
    trustedOrigins: trustedOrigins(config),
    database: drizzleAdapter(orm, { provider: 'pg', schema: authSchema }),
    user: { modelName: 'users' },
    session: { modelName: 'sessions' },
    account: { modelName: 'accounts' },
    verification: { modelName: 'verifications' },
    emailAndPassword: {
      enabled: true,
      // No session from sign-up: an existing email then gets the very answer a new one gets
      // (Better Auth's generic response, password hashed either way), so sign-up does not
      // tell who has an account. Clients sign in next.
      autoSignIn: false,
      minPasswordLength: PASSWORD_MIN_LENGTH,
      maxPasswordLength: PASSWORD_MAX_LENGTH,
    },
    rateLimit: {
      enabled: config.AUTH_RATE_LIMIT === 'on',
      window: config.AUTH_RATE_LIMIT_WINDOW_SECONDS,
      max: config.AUTH_RATE_LIMIT_MAX,
      // Shared by every instance behind a load balancer.
      storage: 'database',
      modelName: 'rate_limits',
    },
    advanced: {
      database: { generateId: () => randomUUID() },
      // Set by our own middleware from the socket (or X-Forwarded-For with TRUST_PROXY).
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      useSecureCookies: baseURL.startsWith('https://'),
      // Better Auth turns both checks off when NODE_ENV=test or TEST is set; they stay on.
      disableCSRFCheck: false,
      disableOriginCheck: false,
    },
    telemetry: { enabled: false },
    // Unexpected errors (a database outage) are thrown to our route, which answers 503 or
    // logs them through pino; Better Auth would print them, query parameters and all, with
    // console.error.
    onAPIError: { throw: true },
    logger: {
      // Its info lines (such as a sign-up for an existing email) become our debug lines.
      level: 'info',
      log: (level, message) => {
        const method = level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'debug';
        // The request id and client address come from the log context of the request.
        logger[method]({ component: 'better-auth' }, withoutEmails(message));
      },
    },
    plugins: [
      bearer(),
      jwt({
        jwks: { keyPairConfig: { alg: 'EdDSA', crv: 'Ed25519' } },
        // Clients ask /api/auth/token for a JWT; signing one into a header on every session
        // lookup would cost a key read and a signature per cookie-authenticated request.
        disableSettingJwtHeader: true,
        jwt: { expirationTime: `${config.JWT_TTL_SECONDS}s`, issuer: baseURL, audience: baseURL },
      }),
      openAPI({ disableDefaultReference: true }),
      authPolicy({ secret, limiter, logger }),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;

/** The account's pseudonym under this server's secret (for logs and the sign-in count). */
export const pseudonymOf = (auth: Auth, email: string) =>
  accountPseudonym(auth.options.secret ?? '', email);
