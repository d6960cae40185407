import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  authPost,
  BASE_URL,
  startTestApi,
  type TestApi,
  type TestUser,
} from '../../test/support/api.js';
import { expectProblem, readTask } from '../../test/support/api-assertions.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import { captureLogs } from '../../test/support/logs.js';
import { accountRoutes, listRoutes, taskRoutes } from '../../test/support/routes.js';
import { countRows } from '../../test/support/test-database.js';
import { ConfigError, loadConfig } from '../config.js';
import type { Problem } from '../http/problem.js';
import type { Auth } from './auth.js';
import { resolveAuthSecret } from './auth-secret.js';

// Every Better Auth instance the app builds, so a test can watch its API (JWKS cache).
const created = vi.hoisted(() => ({ auths: [] as Auth[] }));
vi.mock('better-auth', async (importOriginal) => {
  const actual = await importOriginal<typeof import('better-auth')>();
  const betterAuth = ((options: Parameters<typeof actual.betterAuth>[0]) => {
    const instance = actual.betterAuth(options);
    created.auths.push(instance as unknown as Auth);
    return instance;
  }) as typeof actual.betterAuth;
  return { ...actual, betterAuth };
});

const NONEXISTENT_TASK = 987_654_321;

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

/** The JWT with its payload replaced (re-encoded) and its original header and signature. */
function withPayload(jwt: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** The JWT with one character of its signature changed. */
function withFlippedSignatureCharacter(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const middle = Math.floor(signature.length / 2);
  const replacement = signature[middle] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, middle)}${replacement}${signature.slice(middle + 1)}`;
}

/** A 401 problem with WWW-Authenticate: Bearer and no field errors. */
async function expectUnauthorized(response: Response): Promise<Problem> {
  const problem = await expectProblem(response, 401, 'unauthorized');
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  expect(problem.errors).toBeUndefined();
  return problem;
}

/** The SQL text of one pg Client#query call (a string, or a config object with text). */
function statementText(argument: unknown): string {
  if (typeof argument === 'string') return argument;
  if (typeof argument === 'object' && argument !== null && 'text' in argument) {
    return String(argument.text);
  }
  return String(argument);
}

describe('API authentication (cookie, bearer session token, bearer JWT)', () => {
  let api: TestApi;
  let ann: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    api = await startTestApi();
    ann = await buildUser(api);
    bob = await buildUser(api);
  });
  afterAll(() => api.close());
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  describe('accepts', () => {
    it('the session cookie, the session token and the EdDSA JWT, each as the same user', async () => {
      expect(decodeProtectedHeader(ann.jwt).alg).toBe('EdDSA');
      expect(decodeJwt(ann.jwt)).toMatchObject({ sub: ann.id, iss: BASE_URL, aud: BASE_URL });
      const { id } = await buildTask(api, ann, { title: 'mine' });
      for (const init of [
        { headers: { cookie: ann.cookie } },
        bearer(ann.sessionToken),
        bearer(ann.jwt),
      ]) {
        const response = await api.request(`/api/tasks/${id}`, init);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ id, user_id: ann.id });
      }
      expect((await api.json('DELETE', `/api/tasks/${id}`, ann)).status).toBe(204);
    });

    it('a JWT until it expires 15 minutes after it was issued', async () => {
      const issuedAt = decodeJwt(ann.jwt).iat!;
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime((issuedAt + 14 * 60) * 1000);
      expect((await api.request('/api/tasks', bearer(ann.jwt))).status).toBe(200);
    });
  });

  describe('rejects with 401, WWW-Authenticate: Bearer and a problem', () => {
    it('every account, list and task route (both path families) without a credential', async () => {
      const task = await buildTask(api, ann);
      for (const { method, path, body } of [
        ...accountRoutes,
        ...listRoutes(task.list_id),
        ...taskRoutes(ann, task.id),
      ]) {
        await expectUnauthorized(await api.json(method, path, undefined, body));
      }
      expect(await readTask(await api.json('GET', `/api/tasks/${task.id}`, ann))).toEqual(task);
    });

    it.each<[string, () => Promise<RequestInit>]>([
      ['a garbage bearer token', async () => bearer('not-a-real-token')],
      ['an empty bearer token', async () => ({ headers: { authorization: 'Bearer' } })],
      ['a session token with a character added', async () => bearer(`${ann.sessionToken}x`)],
      [
        'an Authorization header that is not a bearer token',
        async () => ({
          headers: { authorization: `Basic ${btoa(`${ann.email}:${ann.password}`)}` },
        }),
      ],
      [
        'a garbage session cookie',
        async () => ({ headers: { cookie: 'better-auth.session_token=forged.value' } }),
      ],
      [
        'a JWT with one character of its signature changed',
        async () => bearer(withFlippedSignatureCharacter(ann.jwt)),
      ],
      [
        "a JWT re-encoded under its old signature with another user's subject",
        async () =>
          bearer(
            withPayload(ann.jwt, (claims) => {
              claims.sub = bob.id;
              claims.id = bob.id;
              claims.email = bob.email;
            }),
          ),
      ],
      [
        'a JWT re-encoded under its old signature with a year added to its expiry',
        async () =>
          bearer(
            withPayload(ann.jwt, (claims) => {
              claims.exp = Number(claims.exp) + 365 * 24 * 3600;
            }),
          ),
      ],
      [
        'an unsigned JWT (alg: none)',
        async () => {
          const unsigned = new UnsecuredJWT({ email: ann.email, id: ann.id })
            .setSubject(ann.id)
            .setIssuer(BASE_URL)
            .setAudience(BASE_URL)
            .setIssuedAt()
            .setExpirationTime('15m')
            .encode();
          expect(decodeProtectedHeader(unsigned).alg).toBe('none');
          return bearer(unsigned);
        },
      ],
    ])('%s', async (_case, credential) => {
      const init = await credential();
      expect(JSON.stringify(init)).not.toContain(ann.jwt);
      const problem = await expectUnauthorized(await api.request('/api/tasks', init));
      for (const user of [ann, bob]) expect(problem.detail).not.toContain(user.id);
    });

    it('an expired JWT (16 minutes after it was issued)', async () => {
      const issuedAt = decodeJwt(ann.jwt).iat!;
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime((issuedAt + 16 * 60) * 1000);
      await expectUnauthorized(await api.request('/api/tasks', bearer(ann.jwt)));
    });

    it('a JWT with the right claims signed by another key set', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const realKid = decodeProtectedHeader(ann.jwt).kid;
      expect(realKid).toEqual(expect.any(String));
      for (const kid of [realKid, 'attacker-key', undefined]) {
        const forged = await new SignJWT({ email: ann.email, name: ann.name, id: ann.id })
          .setProtectedHeader(kid ? { alg: 'EdDSA', kid } : { alg: 'EdDSA' })
          .setSubject(ann.id)
          .setIssuer(BASE_URL)
          .setAudience(BASE_URL)
          .setIssuedAt()
          .setExpirationTime('15m')
          .sign(privateKey);
        await expectUnauthorized(await api.request('/api/tasks', bearer(forged)));
      }
    });

    it('the cookie and the session token of a session that signed out', async () => {
      const carl = await buildUser(api);
      expect((await api.request('/api/tasks', { headers: { cookie: carl.cookie } })).status).toBe(
        200,
      );
      const signOut = await api.request('/api/auth/sign-out', {
        method: 'POST',
        headers: { cookie: carl.cookie, origin: BASE_URL },
      });
      expect(signOut.status).toBe(200);
      await expectUnauthorized(
        await api.request('/api/tasks', { headers: { cookie: carl.cookie } }),
      );
      await expectUnauthorized(await api.request('/api/tasks', bearer(carl.sessionToken)));
    });
  });

  describe('JWT verification is local', () => {
    // Proof: every statement any pg connection in this process sends goes through
    // pg.Client#query, whether it comes from our Database (pool.query → client.query) or from
    // Better Auth's drizzle connection on the same pool. With a spy there we see the exact
    // statements a request costs. GET /api/tasks/{id} itself is one statement (task_get), so
    // a JWT-authenticated request must cost exactly that one and nothing touching the auth
    // tables, while a session-token request also pays for the session lookup.
    it('costs no database round trip, unlike a session token', async () => {
      // Warm up: the first JWT loads the key set once (that may read the jwks table).
      expect((await api.request(`/api/tasks/${NONEXISTENT_TASK}`, bearer(ann.jwt))).status).toBe(
        404,
      );
      const query = vi.spyOn(pg.Client.prototype, 'query');
      const statements = () => query.mock.calls.map((call) => statementText(call[0]));

      for (let i = 0; i < 20; i++) {
        const response = await api.request(`/api/tasks/${NONEXISTENT_TASK}`, bearer(ann.jwt));
        expect(response.status).toBe(404);
      }
      const viaJwt = statements();
      expect(viaJwt).toHaveLength(20);
      for (const text of viaJwt) expect(text).toMatch(/task_get/);

      query.mockClear();
      for (let i = 0; i < 20; i++) {
        const response = await api.request(
          `/api/tasks/${NONEXISTENT_TASK}`,
          bearer(ann.sessionToken),
        );
        expect(response.status).toBe(404);
      }
      const viaSession = statements();
      expect(viaSession.length).toBeGreaterThan(20);
      expect(viaSession.some((text) => /\bsessions\b/.test(text))).toBe(true);
    });
  });

  describe('/api/auth', () => {
    it('creates no second account for an existing email in another case', async () => {
      const email = `Dana-${randomBytes(4).toString('hex')}@Example.test`;
      const first = await authPost(api, '/api/auth/sign-up/email', {
        email,
        password: 'first-password-1',
        name: 'Dana',
      });
      expect(first.status).toBe(200);
      for (const variant of [email.toLowerCase(), email.toUpperCase()]) {
        const again = await authPost(api, '/api/auth/sign-up/email', {
          email: variant,
          password: 'second-password-2',
          name: 'Eve',
        });
        // The same answer as for a new email (see auth-hardening.test.ts), and no session.
        expect(again.status).toBe(200);
        expect(again.headers.get('set-cookie')).toBeNull();
      }
      expect(await countRows(api.database.db, 'users', 'lower(email) = lower($1)', [email])).toBe(
        1,
      );
    });

    it('says the same thing for a wrong password and an unknown email', async () => {
      const signIn = (email: string, password: string) =>
        authPost(api, '/api/auth/sign-in/email', { email, password });
      expect((await signIn(ann.email, ann.password)).status).toBe(200);

      const wrongPassword = await signIn(ann.email, 'not-the-password-1');
      const unknownEmail = await signIn(
        `nobody-${randomBytes(4).toString('hex')}@example.test`,
        'not-the-password-1',
      );
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(wrongPassword.status);
      const a = (await wrongPassword.json()) as { message: string; code: string };
      const b = (await unknownEmail.json()) as { message: string; code: string };
      expect(a).toEqual(b);
      expect(a.message).not.toMatch(
        /password is (wrong|incorrect)|no such user|not found|unknown/i,
      );
    });

    it("keeps Better Auth's own JSON error shape, not problem+json", async () => {
      const responses = [
        await authPost(api, '/api/auth/sign-in/email', {
          email: ann.email,
          password: 'not-the-password-1',
        }),
        await authPost(api, '/api/auth/sign-up/email', {
          email: 'not-an-email',
          password: 'whatever-pass-1',
          name: 'X',
        }),
      ];
      for (const response of responses) {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await response.json()) as Record<string, unknown>;
        expect(body).toEqual(
          expect.objectContaining({ message: expect.any(String), code: expect.any(String) }),
        );
        expect(body).not.toHaveProperty('type');
        expect(body).not.toHaveProperty('title');
        expect(body).not.toHaveProperty('request_id');
      }
    });
  });
});

describe('JWKS cache', () => {
  let api: TestApi;
  let auth: Auth;
  let user: TestUser;

  beforeAll(async () => {
    const before = created.auths.length;
    api = await startTestApi();
    expect(created.auths).toHaveLength(before + 1);
    auth = created.auths.at(-1)!;
    user = await buildUser(api);
  });
  afterAll(() => api.close());

  it('loads the key set once, then verifies every later JWT from the cache', async () => {
    const getJwks = vi.spyOn(auth.api, 'getJwks');
    // Concurrent first requests share one load.
    const first = await Promise.all(
      Array.from({ length: 5 }, () => api.request('/api/tasks', bearer(user.jwt))),
    );
    for (const response of first) expect(response.status).toBe(200);
    expect(getJwks).toHaveBeenCalledTimes(1);

    for (let i = 0; i < 10; i++) {
      expect((await api.request('/api/tasks', bearer(user.jwt))).status).toBe(200);
    }
    // A forged token naming an unknown key does not make every request reload the keys.
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: 'unknown-key' })
      .setSubject(user.id)
      .setIssuer(BASE_URL)
      .setAudience(BASE_URL)
      .setExpirationTime('15m')
      .sign(privateKey);
    for (let i = 0; i < 5; i++) {
      expect((await api.request('/api/tasks', bearer(forged))).status).toBe(401);
    }
    expect(getJwks).toHaveBeenCalledTimes(1);
    getJwks.mockRestore();
  });
});

describe('BETTER_AUTH_SECRET', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('is required in production: resolving it fails naming the variable', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    const { logger } = captureLogs('info');
    expect(() => resolveAuthSecret(config, logger)).toThrow(ConfigError);
    expect(() => resolveAuthSecret(config, logger)).toThrow(/BETTER_AUTH_SECRET/);
  });

  it('is used as given in production', () => {
    const secret = randomBytes(32).toString('hex');
    const config = loadConfig({ NODE_ENV: 'production', BETTER_AUTH_SECRET: secret });
    expect(resolveAuthSecret(config, captureLogs('info').logger)).toBe(secret);
  });

  it('is generated in development into DATA_DIR/auth-secret (mode 0600), with a warning, and reused', () => {
    const root = mkdtempSync(join(tmpdir(), 'todo-auth-secret-'));
    directories.push(root);
    const dataDir = join(root, 'nested', 'data');
    const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    const { lines, text, logger } = captureLogs('info');

    const secret = resolveAuthSecret(config, logger);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const path = join(dataDir, 'auth-secret');
    expect(readFileSync(path, 'utf8').trim()).toBe(secret);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: expect.stringMatching(/BETTER_AUTH_SECRET/),
    });
    expect(text()).not.toContain(secret);

    expect(resolveAuthSecret(config, logger)).toBe(secret);
    expect(resolveAuthSecret(loadConfig({ DATA_DIR: dataDir }), logger)).toBe(secret);
  });
});
