import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConnectionUrlError, parseConnectionUrl } from './db/connection-url.js';

// The only module that reads process.env. Everything else receives a typed Config.

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'on' || v === 'yes');

// Parsed here with the pool's own parser, so a bad sslmode fails at start, naming the variable.
const postgresUrl = z.string().superRefine((value, ctx) => {
  try {
    parseConnectionUrl(value);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: error instanceof ConnectionUrlError ? error.message : 'is not a valid URL',
    });
  }
});

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const emptyAsUnset = (v: unknown) => (v === '' ? undefined : v);

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    // Unset: embedded PostgreSQL (PGlite) in DATA_DIR.
    DATABASE_URL: z.preprocess(emptyAsUnset, postgresUrl.optional()),
    // Direct (unpooled) URL for migrations: a transaction-mode pooler breaks advisory locks.
    DIRECT_DATABASE_URL: z.preprocess(emptyAsUnset, postgresUrl.optional()),
    DATA_DIR: z.string().min(1).default('./data'),
    DB_POOL_MAX: int(10, 1, 1000),
    DB_IDLE_TIMEOUT_MS: int(30_000),
    // A Neon compute waking from zero takes seconds.
    DB_CONNECT_TIMEOUT_MS: int(10_000, 1),
    DB_STATEMENT_TIMEOUT_MS: int(30_000),
    DB_CONNECT_RETRIES: int(5, 0, 100),
    DB_SLOW_QUERY_MS: int(500),
    // Named prepared statements: "auto" turns them off behind a transaction-mode pooler.
    DB_PREPARE: z.enum(['auto', 'on', 'off']).default('auto'),
    MIGRATE_ON_START: bool(true),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: int(3000, 0, 65_535),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    // Public URL of this server (Better Auth's base URL, trusted origin for sign-in forms).
    BETTER_AUTH_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    BETTER_AUTH_SECRET: z.preprocess(emptyAsUnset, z.string().min(32).optional()),
    AUTH_JWKS_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    // Required with AUTH_JWKS_URL: an external token must name this issuer and this audience.
    AUTH_JWT_ISSUER: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
    AUTH_JWT_AUDIENCE: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
    // At most an hour: a JWT cannot be revoked before it expires.
    JWT_TTL_SECONDS: int(900, 30, 3600),
    AUTH_RATE_LIMIT: z.enum(['on', 'off']).default('on'),
    AUTH_RATE_LIMIT_WINDOW_SECONDS: int(60, 1),
    AUTH_RATE_LIMIT_MAX: int(30, 1),
    // Writes per user per minute on the API, counted in this process; "off" for benchmarks.
    API_WRITE_LIMIT_PER_MINUTE: z
      .union([z.literal('off'), z.coerce.number().int().min(1)])
      .default(600)
      .transform((v) => (v === 'off' ? undefined : v)),
    // Tasks one user may store.
    MAX_TASKS_PER_USER: int(100_000, 1, 2_147_483_647),
    TRUST_PROXY: bool(false),
    CORS_ORIGINS: list,
    METRICS_TOKEN: z.preprocess(emptyAsUnset, z.string().min(16).optional()),
    // Reminders: fired by every server process (and `todo worker`); "false" leaves them to workers.
    REMINDERS_IN_SERVER: bool(true),
    // How often due reminders are looked for: a reminder fires at most this long after its time.
    REMINDER_POLL_MS: int(5_000, 100, 60_000),
    // Reminder emails: smtp:// or smtps://, user:password@ optional; unset: in-app notifications only.
    SMTP_URL: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')
        .optional(),
    ),
    MAIL_FROM: z.string().min(3).default('Tasks <tasks@localhost>'),
  })
  .superRefine((config, ctx) => {
    // An external key set alone would accept that deployment's tokens for any audience.
    if (!config.AUTH_JWKS_URL) return;
    for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'] as const) {
      if (!config[name])
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is required when AUTH_JWKS_URL is set',
        });
    }
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads .env (if present) under the real environment, then validates once. */
export function loadConfig(env: NodeJS.ProcessEnv = readEnvironment()): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  // Never echo the value: a URL may carry a password.
  throw new ConfigError(`invalid configuration: ${name} ${issue.message}`);
}

function readEnvironment(): NodeJS.ProcessEnv {
  if (existsSync('.env')) {
    // Real environment variables win over the file, as with dotenv.
    const before = { ...process.env };
    process.loadEnvFile('.env');
    Object.assign(process.env, before);
  }
  return process.env;
}
