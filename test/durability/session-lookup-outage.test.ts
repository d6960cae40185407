import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/database.js';
import { authPost, startTestApi, type TestApi, type TestUser, testApp } from '../support/api.js';
import { buildUser } from '../support/factories.js';
import { type FaultyPool, injectFaults, sqlError } from '../support/faulty-pool.js';

// A session lookup (or a JWT key load, or a Better Auth endpoint) that fails because the
// connection died is a 503, even when the database is back a moment later: the answer is
// decided from the error, not from a second look at the database.

async function expectUnavailable(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text).toBe(503);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
}

describe('a connection that fails once, then the database answers again', () => {
  let api: TestApi;
  let user: TestUser;
  let pool: FaultyPool;

  beforeAll(async () => {
    api = await startTestApi();
    user = await buildUser(api);
    pool = injectFaults(api.db);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers 503 with Retry-After to a bearer session token, without asking the database again', async () => {
    pool.failNext();
    const response = await api.request('/api/tasks', {
      headers: { authorization: `Bearer ${user.sessionToken}` },
    });
    await expectUnavailable(response);
    const body = (await api
      .request('/api/tasks', { headers: { authorization: `Bearer ${user.sessionToken}` } })
      .then((r) => r.json())) as unknown[];
    expect(body).toEqual([]);
  });

  it('makes exactly one database call for a session lookup that fails', async () => {
    pool.failNext();
    await api.request('/api/tasks', { headers: { authorization: `Bearer ${user.sessionToken}` } });
    expect(pool.calls).toBe(1);
  });

  it('answers 503 with Retry-After to a session cookie', async () => {
    pool.failNext();
    await expectUnavailable(await api.request('/api/tasks', { headers: { cookie: user.cookie } }));
  });

  it('answers 503 with Retry-After to a JWT when loading the signing keys fails', async () => {
    const cold = testApp(api.config, api.db);
    pool.failNext();
    await expectUnavailable(await cold.json('GET', '/api/tasks', user));
  });

  it('answers 503 with Retry-After from a Better Auth endpoint', async () => {
    pool.failNext();
    await expectUnavailable(
      await authPost(api, '/api/auth/sign-in/email', {
        email: user.email,
        password: user.password,
      }),
    );
  });

  it('still answers 401 to a session token that does not exist', async () => {
    const response = await api.request('/api/tasks', {
      headers: { authorization: 'Bearer no-such-session-token' },
    });
    expect(response.status).toBe(401);
  });
});

describe('isDatabaseUnavailable', () => {
  const refused = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  /** Better Auth's APIError: a subclass of Error with a status and the original as cause. */
  class APIError extends Error {
    override name = 'APIError';
    constructor(
      readonly statusCode: number,
      message: string,
      options?: { cause: unknown },
    ) {
      super(message, options);
    }
  }

  it('recognises a refused connection, also inside an AggregateError', () => {
    expect(isDatabaseUnavailable(refused())).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([refused()], 'connect failed'))).toBe(true);
  });

  it('recognises SQLSTATE class 08 and the server shutting down or starting up', () => {
    for (const code of ['08006', '08001', '08P01', '57P01', '57P02', '57P03']) {
      expect(isDatabaseUnavailable(sqlError(code, 'connection failure')), code).toBe(true);
    }
  });

  it("recognises node-postgres's own connection errors", () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ]) {
      expect(isDatabaseUnavailable(new Error(message)), message).toBe(true);
    }
  });

  it('looks through drizzle and Better Auth wrappers to the driver error', () => {
    const wrapped = new DrizzleQueryError(
      'select 1 from sessions where token = $1',
      ['t'],
      refused(),
    );
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
    expect(
      isDatabaseUnavailable(new APIError(500, 'Failed to get session', { cause: wrapped })),
    ).toBe(true);
  });

  it('does not take a statement error for an outage, whatever its message quotes', () => {
    const duplicate = sqlError('23505', 'duplicate key value violates unique constraint');
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    // A parameter that reads like a driver message is data, not a connection failure.
    const quoting = new DrizzleQueryError(
      'insert into users (name) values ($1)',
      ['Connection terminated unexpectedly'],
      duplicate,
    );
    expect(isDatabaseUnavailable(quoting)).toBe(false);
    expect(isDatabaseUnavailable(new APIError(401, 'Connection terminated'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('relation "tasks" does not exist'))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});
