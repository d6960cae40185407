import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeError } from '../../src/logger.js';
import { authPost, startTestApi, type TestApi, type TestUser } from '../support/api.js';
import { buildUser } from '../support/factories.js';
import { type FaultyPool, injectFaults, sqlError } from '../support/faulty-pool.js';
import { captureLogs, type LogLine } from '../support/logs.js';

// Query parameters never reach the log: a session lookup's parameter is the session token
// itself. Every error path is provoked with the token in flight — the 500 handler, the 503
// path, Better Auth's own error line — and the whole captured log is searched for it.

interface ErrorLine extends LogLine {
  component?: string;
  err?: {
    type?: string;
    message?: string;
    stack?: string;
    code?: string;
    cause?: { type?: string; message?: string; cause?: { type?: string; code?: string } };
  };
}

describe('error logs carry no query parameters and name their request', () => {
  const logs = captureLogs<ErrorLine>('debug');
  let api: TestApi;
  let user: TestUser;
  let pool: FaultyPool;
  /** The part of the session token Better Auth stores and queries by. */
  let tokenId: string;
  const requestIds: Record<string, string> = {};

  const bySession = (path: string, init: RequestInit = {}) =>
    api.request(path, {
      ...init,
      headers: { authorization: `Bearer ${user.sessionToken}`, ...init.headers },
    });

  beforeAll(async () => {
    api = await startTestApi({ env: { LOG_LEVEL: 'debug' }, logger: logs.logger });
    user = await buildUser(api);
    tokenId = user.sessionToken.split('.')[0]!;
    expect(tokenId.length).toBeGreaterThanOrEqual(16);
    pool = injectFaults(api.db);

    // 500: the session lookup fails with a statement error; drizzle wraps it as
    // "Failed query: … params: <token>" inside Better Auth's APIError.
    pool.failNext(1, () => sqlError('XX000', 'internal error'));
    const internal = await bySession('/api/tasks');
    expect(internal.status).toBe(500);
    requestIds.internal = internal.headers.get('x-request-id')!;

    // 503: the same lookup loses its connection.
    pool.failNext(1);
    const unavailable = await bySession('/api/tasks');
    expect(unavailable.status).toBe(503);
    requestIds.unavailable = unavailable.headers.get('x-request-id')!;

    // 503 on a write through the app's own repository, after the session was looked up.
    pool.failNext(0);
    const create = await bySession('/api/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': tokenId },
      body: JSON.stringify({ title: tokenId }),
    });
    expect(create.status).toBe(201);

    // Better Auth's own endpoints, failing both ways, with the email as a parameter.
    for (const [fault, status] of [
      [() => sqlError('XX000', 'internal error'), 500],
      [undefined, 503],
    ] as const) {
      pool.failNext(1, fault);
      const signIn = await authPost(api, '/api/auth/sign-in/email', {
        email: user.email,
        password: user.password,
      });
      expect(signIn.status).toBe(status);
    }
  });

  afterAll(async () => {
    await api?.close();
  });

  it('never writes the session token, in any field of any line', () => {
    const log = logs.text();
    expect(log).toContain('unhandled error');
    expect(log).not.toContain(tokenId);
    expect(log).not.toContain(user.sessionToken);
    expect(log).not.toContain(user.email);
  });

  it('logs the 500 by structure: type, code and message of each error in the chain', () => {
    const line = logs.lines.find((l) => l.msg === 'unhandled error');
    expect(line?.request_id).toBe(requestIds.internal);
    expect(line?.err?.type).toBe('APIError');
    expect(line?.err?.cause?.type).toBe('DrizzleQueryError');
    expect(line?.err?.cause?.message).toMatch(/^Failed query: /);
    expect(line?.err?.cause?.cause).toMatchObject({ type: 'DatabaseError', code: 'XX000' });
    for (const field of ['params', 'query', 'body', 'parameters']) {
      expect(JSON.stringify(line!.err)).not.toContain(`"${field}"`);
    }
  });

  it("gives Better Auth's own error lines the request id", () => {
    const authLines = logs.lines.filter(
      (l) => l.component === 'better-auth' && l.level === 'error',
    );
    expect(authLines.length).toBeGreaterThan(0);
    for (const line of authLines) expect(line.request_id).toMatch(/\S/);
    const ids = new Set(authLines.map((l) => l.request_id));
    expect(ids.has(requestIds.internal!) || ids.has(requestIds.unavailable!)).toBe(true);
  });

  it("keeps a line's own request_id over the context one, once", () => {
    for (const text of logs.raw)
      expect(text.match(/"request_id"/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('serializes an error logged as the first argument without its parameters', () => {
    const { logger: direct, raw: captured } = captureLogs('info');
    const error = new DrizzleQueryError(
      'select * from sessions where token = $1',
      ['s3cr3t-token-value'],
      sqlError('22P02', 'invalid input syntax for type uuid: "s3cr3t-token-value"'),
    );
    direct.error(error);
    direct.error({ err: error });
    direct.error({ err: error }, 'wrapped');
    direct.warn({ error }, 'as error');
    expect(captured).toHaveLength(4);
    expect(captured.join('\n')).not.toContain('s3cr3t-token-value');
    expect(JSON.parse(captured[0]!).msg).toBe(
      'Failed query: select * from sessions where token = $1',
    );
  });

  it('quotes no value from a data or constraint error, but keeps other messages whole', () => {
    expect(
      serializeError(sqlError('23505', 'duplicate key value violates "users_email_key"')).message,
    ).toBe('duplicate key value violates "[redacted]"');
    expect(serializeError(sqlError('42P01', 'relation "tasks" does not exist')).message).toBe(
      'relation "tasks" does not exist',
    );
  });
});
