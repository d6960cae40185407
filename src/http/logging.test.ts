import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPost, startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { buildUser } from '../../test/support/factories.js';
import { captureLogs, type LogLine } from '../../test/support/logs.js';
import { maskSecrets } from '../logger.js';

interface AccessLine extends LogLine {
  method?: string;
  route?: string;
  status?: number;
  ms?: number;
  err?: { message?: string; stack?: string };
}

const PASSWORD = 'Tr0ub4dor-and-3-horses';
const DB_PASSWORD = 'db-pa55word-in-a-header';
const DB_URL = `postgres://todo_app:${DB_PASSWORD}@db.internal:5432/todo`;

describe('structured logs', () => {
  const { logger, raw, lines } = captureLogs<AccessLine>('info');
  const accessLines = () => lines.filter((line) => line.msg === 'request');

  let api: TestApi;
  let user: TestUser;
  let signInToken: string;
  const responses: Response[] = [];
  let boom: Response;
  let boomUrl: Response;

  beforeAll(async () => {
    api = await startTestApi({ env: { LOG_LEVEL: 'info' }, logger });
    // Mounted before the first request, while the router can still take routes.
    api.app.get('/boom', () => {
      throw new Error('kaboom SELECT secret');
    });
    // Driver errors may echo a connection string (the reason maskSecrets exists).
    api.app.get('/boom-url', () => {
      throw new Error(`could not connect to ${DB_URL}`);
    });

    user = await buildUser(api, { password: PASSWORD });
    const signIn = await authPost(api, '/api/auth/sign-in/email', {
      email: user.email,
      password: PASSWORD,
    });
    expect(signIn.status).toBe(200);
    signInToken = signIn.headers.get('set-auth-token')!;
    responses.push(signIn);

    const wrongSignIn = await authPost(api, '/api/auth/sign-in/email', {
      email: user.email,
      password: `${PASSWORD}-wrong`,
    });
    expect(wrongSignIn.status).toBe(401);
    responses.push(wrongSignIn);

    const requests: Array<[string, RequestInit]> = [
      ['/api/tasks', { headers: { cookie: user.cookie } }],
      ['/api/tasks', { headers: { authorization: `Bearer ${user.sessionToken}` } }],
      ['/api/tasks', { headers: { authorization: `Bearer ${signInToken}` } }],
      ['/api/tasks', { headers: { authorization: `Bearer ${user.jwt}` } }],
      ['/api/tasks/31337', { headers: { authorization: `Bearer ${user.jwt}` } }],
      ['/api/tasks', { headers: { authorization: 'Bearer not-a-token' } }],
      [
        '/api/tasks',
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${user.jwt}`,
            'content-type': 'application/json',
            'x-database-url': DB_URL,
          },
          body: JSON.stringify({ title: 'a task', description: DB_URL, password: PASSWORD }),
        },
      ],
      ['/api/me', { headers: { authorization: `Bearer ${user.jwt}`, 'x-database-url': DB_URL } }],
      ['/api/tasks', { headers: { 'x-request-id': 'client-chosen-id-42', cookie: user.cookie } }],
    ];
    for (const [path, init] of requests) responses.push(await api.request(path, init));
    boom = await api.request('/boom');
    responses.push(boom);
    boomUrl = await api.request('/boom-url');
    expect(boomUrl.status).toBe(500);
    responses.push(boomUrl);
  });
  afterAll(() => api.close());

  it('writes one access line per request with request_id, method, route, status and ms', () => {
    const access = accessLines();
    expect(access.length).toBeGreaterThanOrEqual(responses.length);
    for (const line of access) {
      expect(line).toEqual(
        expect.objectContaining({
          request_id: expect.any(String),
          method: expect.any(String),
          route: expect.any(String),
          status: expect.any(Number),
          ms: expect.any(Number),
        }),
      );
      expect(line.request_id).not.toBe('');
      expect(line.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("logs each response's X-Request-Id with that request's status", () => {
    const access = accessLines();
    for (const response of responses) {
      const id = response.headers.get('x-request-id');
      expect(id).toEqual(expect.any(String));
      const line = access.find((l) => l.request_id === id);
      expect(line, `no access line for ${id}`).toBeDefined();
      expect(line!.status).toBe(response.status);
    }
    expect(access.some((l) => l.request_id === 'client-chosen-id-42')).toBe(true);
  });

  it('labels access lines with the route pattern, not the path', () => {
    const missing = responses.find((r) => r.status === 404)!;
    const line = accessLines().find((l) => l.request_id === missing.headers.get('x-request-id'));
    expect(line).toMatchObject({ method: 'GET', route: '/api/tasks/:id', status: 404 });
  });

  it('never logs passwords, session tokens, cookies, JWTs, the auth secret or database passwords', () => {
    // The error that carries a connection string has its own test below.
    const boomUrlId = boomUrl.headers.get('x-request-id');
    const text = raw.filter((line) => !line.includes(`"${boomUrlId}"`)).join('');
    const cookieValue = user.cookie.slice(user.cookie.indexOf('=') + 1);
    const secrets = {
      password: PASSWORD,
      sessionToken: user.sessionToken,
      sessionTokenId: user.sessionToken.split('.')[0]!,
      signInToken,
      signInTokenId: signInToken.split('.')[0]!,
      cookieValue,
      cookieValueDecoded: decodeURIComponent(cookieValue),
      jwt: user.jwt,
      jwtSignature: user.jwt.split('.')[2]!,
      authSecret: api.config.BETTER_AUTH_SECRET!,
      databasePassword: DB_PASSWORD,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(8);
      expect(text.includes(secret), `${name} appears in the logs`).toBe(false);
    }
  });

  it('masks a connection-string password in a logged error', async () => {
    const id = boomUrl.headers.get('x-request-id')!;
    const body = await boomUrl.text();
    expect(body).not.toContain(DB_PASSWORD);
    const logged = raw.filter((line) => line.includes(`"${id}"`));
    expect(logged.some((line) => line.includes('could not connect to'))).toBe(true);
    for (const line of logged) expect(line).not.toContain(DB_PASSWORD);
  });

  it('answers a 500 with an "internal" problem that leaks nothing, and logs the error with its request id', async () => {
    expect(boom.status).toBe(500);
    expect(boom.headers.get('content-type')).toBe('application/problem+json');
    const body = await boom.text();
    const problem = JSON.parse(body) as { code: string; status: number; request_id: string };
    expect(problem).toMatchObject({ code: 'internal', status: 500 });
    const id = boom.headers.get('x-request-id')!;
    expect(problem.request_id).toBe(id);
    expect(body).not.toMatch(/kaboom|SELECT|secret|at .*\.ts/);

    const errorLines = lines.filter((l) => l.request_id === id && l.level === 'error');
    const logged = errorLines.find((l) => l.err?.message?.includes('kaboom'));
    expect(logged, 'the error is logged with the request id').toBeDefined();
    expect(logged!.err!.stack).toEqual(expect.any(String));
    expect(errorLines.find((l) => l.msg === 'request')).toMatchObject({
      route: '/boom',
      status: 500,
    });
  });
});

describe('createLogger', () => {
  it('redacts secret-named fields wherever the log object carries them', () => {
    const { logger, raw } = captureLogs('info');
    logger.info(
      {
        password: 'secret-1',
        user: { password: 'secret-2', token: 'secret-3' },
        token: 'secret-4',
        authorization: 'Bearer secret-5',
        cookie: 'better-auth.session_token=secret-6',
        headers: { authorization: 'Bearer secret-7', cookie: 'secret-8' },
        req: { headers: { authorization: 'Bearer secret-9', cookie: 'secret-10' } },
        connectionString: DB_URL,
        secret: 'secret-11',
      },
      'something happened',
    );
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toMatch(/secret-\d+/);
    expect(raw[0]).not.toContain(DB_PASSWORD);
    expect(raw[0]).toContain('[redacted]');
  });
});

describe('maskSecrets', () => {
  it('masks the password of a postgres URL', () => {
    expect(maskSecrets('postgres://u:secret@h/db')).toBe('postgres://u:***@h/db');
  });

  it('masks every URL inside a longer message, for both schemes', () => {
    const message =
      'connect failed for postgresql://app:s3cr%40t@db:5432/todo (then postgres://other:hunter2@replica/x)';
    const masked = maskSecrets(message);
    expect(masked).not.toContain('s3cr%40t');
    expect(masked).not.toContain('hunter2');
    expect(masked).toContain('postgresql://app:***@db:5432/todo');
    expect(masked).toContain('postgres://other:***@replica/x');
  });

  it('masks all of a password that contains a raw "@" (the driver accepts one)', () => {
    expect(maskSecrets('postgres://u:p@ss@h/db')).toBe('postgres://u:***@h/db');
  });

  it('leaves a URL without a password, and other text, alone', () => {
    expect(maskSecrets('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(maskSecrets('nothing to hide')).toBe('nothing to hide');
  });
});
