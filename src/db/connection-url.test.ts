import { describe, expect, it } from 'vitest';
import { ConnectionUrlError, parseConnectionUrl, redactUrl } from './connection-url.js';

// The URL means what it means to libpq, and Neon's URLs work unchanged.
// Every password here is fake.

const base = 'postgres://app:not-a-real-password@db.example.test:6543/todo';
/** Neon's pooled URL shape; the password is set apart so no credential pattern appears here. */
const neonPooled = withPassword(
  'postgresql://neondb_owner@ep-cool-darkness-a1b2c3d4-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require',
  'not-a-real-password',
);
const neonDirect = neonPooled.replace('-pooler.', '.');

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describe('parseConnectionUrl', () => {
  it('reads host, port, user, password and database', () => {
    expect(parseConnectionUrl(base)).toMatchObject({
      host: 'db.example.test',
      port: 6543,
      user: 'app',
      password: 'not-a-real-password',
      database: 'todo',
      pooled: false,
    });
  });

  it('defaults the port to 5432', () => {
    expect(parseConnectionUrl('postgres://app@db.example.test/todo').port).toBe(5432);
  });

  it('decodes a percent-encoded user name, password and database', () => {
    const options = parseConnectionUrl('postgres://us%40er:p%40ss%2Fw%3Ard%25@h/my%20db');
    expect(options).toMatchObject({ user: 'us@er', password: 'p@ss/w:rd%', database: 'my db' });
  });

  describe('sslmode', () => {
    it('disable: plain text', () => {
      expect(parseConnectionUrl(`${base}?sslmode=disable`).ssl).toBe(false);
    });

    it('require: encrypted, certificate not checked (libpq, not node-postgres)', () => {
      expect(parseConnectionUrl(`${base}?sslmode=require`).ssl).toEqual({
        rejectUnauthorized: false,
      });
    });

    it('verify-full: certificate and host name checked', () => {
      expect(parseConnectionUrl(`${base}?sslmode=verify-full`).ssl).toMatchObject({
        rejectUnauthorized: true,
        servername: 'db.example.test',
      });
    });

    it('verify-ca: certificate chain checked, host name not', () => {
      const ssl = parseConnectionUrl(`${base}?sslmode=verify-ca`).ssl;
      if (ssl === false) throw new Error('verify-ca must use TLS');
      expect(ssl.rejectUnauthorized).toBe(true);
      expect(ssl.checkServerIdentity).toBeTypeOf('function');
      expect(ssl.checkServerIdentity?.('other.example.test', {} as never)).toBeUndefined();
    });
  });

  describe('channel_binding', () => {
    it('require: channel binding on', () => {
      const options = parseConnectionUrl(`${base}?sslmode=require&channel_binding=require`);
      expect(options.enableChannelBinding).toBe(true);
    });

    it('disable: channel binding off', () => {
      const options = parseConnectionUrl(`${base}?sslmode=require&channel_binding=disable`);
      expect(options.enableChannelBinding).toBe(false);
    });
  });

  describe('Neon URLs', () => {
    it('reads a pooled URL as pooled, encrypted without certificate check, channel-bound', () => {
      expect(parseConnectionUrl(neonPooled)).toEqual({
        host: 'ep-cool-darkness-a1b2c3d4-pooler.eu-central-1.aws.neon.tech',
        port: 5432,
        user: 'neondb_owner',
        password: 'not-a-real-password',
        database: 'neondb',
        options: undefined,
        ssl: { rejectUnauthorized: false },
        enableChannelBinding: true,
        requireChannelBinding: true,
        pooled: true,
        applicationName: undefined,
      });
    });

    it('reads a direct URL as not pooled', () => {
      const options = parseConnectionUrl(neonDirect);
      expect(options.host).toBe('ep-cool-darkness-a1b2c3d4.eu-central-1.aws.neon.tech');
      expect(options.pooled).toBe(false);
    });
  });

  it('treats pgbouncer=true as pooled', () => {
    expect(parseConnectionUrl(`${base}?pgbouncer=true`).pooled).toBe(true);
  });

  it.each([
    ['an unknown sslmode', `${base}?sslmode=sometimes`, /sslmode/],
    [
      'channel_binding=require without TLS, as there is no channel to bind to',
      `${base}?sslmode=disable&channel_binding=require`,
      /channel_binding=require/,
    ],
    ['an unknown channel_binding', `${base}?channel_binding=maybe`, /channel_binding/],
    [
      'a URL that is not postgres:// or postgresql:// (mysql)',
      'mysql://app:not-a-real-password@db.example.test/todo',
      /postgres:\/\//,
    ],
    [
      'a URL that is not postgres:// or postgresql:// (http)',
      'http://db.example.test/todo',
      /postgres:\/\//,
    ],
  ])('refuses %s, saying what is wrong', (_, url, message) => {
    const attempt = () => parseConnectionUrl(url);
    expect(attempt).toThrow(ConnectionUrlError);
    expect(attempt).toThrow(message);
  });

  it('refuses a string that is not a URL, without echoing it', () => {
    const attempt = () => parseConnectionUrl('not a url with not-a-real-password');
    expect(attempt).toThrow(ConnectionUrlError);
    expect(attempt).not.toThrow(/not-a-real-password/);
  });
});

describe('redactUrl', () => {
  it('masks the password and keeps the rest', () => {
    const redacted = redactUrl(neonPooled);
    expect(redacted).not.toContain('not-a-real-password');
    expect(redacted).toBe(neonPooled.replace('not-a-real-password', '***'));
  });

  it('masks a password given as a query parameter', () => {
    const redacted = redactUrl('postgres://app@db.example.test/todo?password=not-a-real-password');
    expect(redacted).not.toContain('not-a-real-password');
    expect(redacted).toContain('password=***');
  });

  it('masks the password of a URL it cannot parse', () => {
    const redacted = redactUrl('postgres://app:not-a-real-password@db.example.test:99999/todo');
    expect(redacted).toBe('postgres://app:***@db.example.test:99999/todo');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactUrl('postgres://app@db.example.test/todo')).toBe(
      'postgres://app@db.example.test/todo',
    );
  });
});
