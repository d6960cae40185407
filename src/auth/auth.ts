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
import { authSchema } from './auth-schema.js';
import { resolveAuthSecret } from './auth-secret.js';

/** The header our server sets to the client's address; any value a client sends is replaced. */
export const CLIENT_IP_HEADER = 'x-todo-client-ip';

export function publicBaseUrl(config: Config): string {
  return config.BETTER_AUTH_URL ?? `http://localhost:${config.PORT}`;
}

export function createAuth(config: Config, db: Database, logger: Logger) {
  const orm =
    'pglite' in db
      ? drizzlePglite((db as EmbeddedDatabase).pglite, { schema: authSchema })
      : drizzlePg((db as Database & { pool: import('pg').Pool }).pool, { schema: authSchema });
  const baseURL = publicBaseUrl(config);
  return betterAuth({
    appName: 'Todo',
    baseURL,
    basePath: '/api/auth',
    secret: resolveAuthSecret(config, logger),
    trustedOrigins: [new URL(baseURL).origin, ...config.CORS_ORIGINS],
    database: drizzleAdapter(orm, { provider: 'pg', schema: authSchema }),
    user: { modelName: 'users' },
    session: { modelName: 'sessions' },
    account: { modelName: 'accounts' },
    verification: { modelName: 'verifications' },
    emailAndPassword: {
      enabled: true,
      autoSignIn: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
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
    },
    telemetry: { enabled: false },
    // Unexpected errors (a database outage) are thrown to our route, which answers 503 or
    // logs them through pino; Better Auth would print them, query parameters and all, with
    // console.error.
    onAPIError: { throw: true },
    logger: {
      log: (level, message) => {
        const method = level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'debug';
        logger[method]({ component: 'better-auth' }, message);
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
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
