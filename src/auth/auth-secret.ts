import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * BETTER_AUTH_SECRET signs cookies and encrypts the JWT private keys. Required in production;
 * in development one is generated once and kept in the data directory, so sessions survive
 * restarts.
 */
export function resolveAuthSecret(config: Config, logger: Logger): string {
  if (config.BETTER_AUTH_SECRET) return config.BETTER_AUTH_SECRET;
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(
      'invalid configuration: BETTER_AUTH_SECRET is required in production (32+ characters)',
    );
  }
  const path = join(config.DATA_DIR, 'auth-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(config.DATA_DIR, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, secret, { mode: 0o600 });
  logger.warn(
    { path },
    'BETTER_AUTH_SECRET is not set: generated one for development; set it in production',
  );
  return secret;
}
