import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

// Configuration is validated once; a bad value stops the process with a message
// that names the variable and never prints a password.

/** The error loadConfig throws for env (the test fails when it throws none). */
function configErrorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('gives the defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config).toMatchObject({
      DATA_DIR: './data',
      DB_POOL_MAX: 10,
      DB_CONNECT_TIMEOUT_MS: 10_000,
      DB_STATEMENT_TIMEOUT_MS: 30_000,
      PORT: 3000,
      MIGRATE_ON_START: true,
    });
  });

  it('reads the values it is given', () => {
    expect(
      loadConfig({
        DATABASE_URL: 'postgresql://app:not-a-real-password@db.example.test/todo',
        DB_POOL_MAX: '25',
        PORT: '8080',
      }),
    ).toMatchObject({
      DATABASE_URL: 'postgresql://app:not-a-real-password@db.example.test/todo',
      DB_POOL_MAX: 25,
      PORT: 8080,
    });
  });

  it.each(['false', '0', 'off', 'no'])('reads MIGRATE_ON_START=%s as false', (value) => {
    expect(loadConfig({ MIGRATE_ON_START: value }).MIGRATE_ON_START).toBe(false);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  describe.each(['DATABASE_URL', 'DIRECT_DATABASE_URL'])('an invalid %s', (name) => {
    it.each([
      ['another scheme', 'mysql://user:hunter2secret@host/db'],
      ['a port out of range', 'postgres://user:hunter2secret@host:99999/db'],
      ['an unknown sslmode', 'postgres://user:hunter2secret@host/db?sslmode=bogus'],
      [
        'channel binding without TLS',
        'postgres://user:hunter2secret@host/db?sslmode=disable&channel_binding=require',
      ],
      ['a badly encoded password', 'postgres://user:hunter2secret%zz@host/db'],
    ])('(%s) is named in the error, its password never', (_, url) => {
      const error = configErrorFor({ [name]: url });
      expect(error.message).toMatch(new RegExp(`\\b${name} `));
      expect(error.message).not.toContain('hunter2secret');
    });
  });

  it.each([
    ['DB_POOL_MAX', 'abc'],
    ['DB_POOL_MAX', '0'],
    ['PORT', '70000'],
    ['DB_CONNECT_TIMEOUT_MS', '1.5'],
    ['MIGRATE_ON_START', 'maybe'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(configErrorFor({ [name]: value }).message).toContain(name);
  });
});
