import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authPost, startTestApi, type TestApi } from '../../test/support/api.js';
import { expectNoInternals } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import { captureLogs, type LogLine } from '../../test/support/logs.js';
import { countRows } from '../../test/support/test-database.js';
import { accountPseudonym } from './account-pseudonym.js';
import { INVALID_ORIGIN_MESSAGE, NAME_MAX_LENGTH } from './auth-policy.js';
import { commonPasswords, isCommonPassword } from './password-policy.js';
import { SIGN_IN_LIMITS } from './sign-in-limiter.js';

const uniqueEmail = (label: string) =>
  `${label}-${randomBytes(4).toString('hex')}@example.test`.toLowerCase();

interface AuthBody {
  code?: string;
  message?: string;
  token?: string | null;
  user?: Record<string, unknown>;
}

/** The shape of a JSON value: its keys and the type of each leaf, recursively. */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, v]) => [key, shapeOf(v)]),
    );
  }
  return typeof value;
}

/** The statuses of `times` sign-ins, each sent by `signIn`. */
async function statusesOf(times: number, signIn: () => Promise<Response>): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < times; attempt++) {
    const response = await signIn();
    statuses.push(response.status);
    await response.body?.cancel();
  }
  return statuses;
}

describe('sign-up', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const signUp = (body: Record<string, unknown>) => authPost(api, '/api/auth/sign-up/email', body);

  describe('does not reveal whether an email already has an account', () => {
    it('answers a taken email with the same status, body shape and headers as a new one', async () => {
      const taken = await buildUser(api);
      const fresh = await signUp({
        email: uniqueEmail('fresh'),
        password: 'a-new-account-password',
        name: 'Fresh',
      });
      const again = await signUp({
        email: taken.email,
        password: 'an-attackers-password',
        name: 'Fresh',
      });
      expect(again.status).toBe(fresh.status);
      expect(fresh.status).toBe(200);
      const freshBody = (await fresh.json()) as AuthBody;
      const againBody = (await again.json()) as AuthBody;
      expect(shapeOf(againBody)).toEqual(shapeOf(freshBody));
      expect(againBody.user?.id).not.toBe(taken.id);
      for (const response of [fresh, again]) {
        expect(response.headers.get('set-cookie')).toBeNull();
        expect(response.headers.get('set-auth-token')).toBeNull();
      }
      expect(freshBody.token).toBeNull();
      expect(againBody.token).toBeNull();
    });

    it('creates no session for the existing account', async () => {
      const taken = await buildUser(api);
      const sessions = () => countRows(api.database.db, 'sessions', 'user_id = $1', [taken.id]);
      const before = await sessions();
      const again = await signUp({
        email: taken.email,
        password: 'an-attackers-password',
        name: 'X',
      });
      expect(again.status).toBe(200);
      expect(await sessions()).toBe(before);
      // The password sent to sign-up did not become the account's password either.
      const signIn = await authPost(api, '/api/auth/sign-in/email', {
        email: taken.email,
        password: 'an-attackers-password',
      });
      expect(signIn.status).toBe(401);
    });

    it('lets a new account sign in right after', async () => {
      const email = uniqueEmail('new');
      const password = 'brand-new-account-pw';
      expect((await signUp({ email, password, name: 'New' })).status).toBe(200);
      const signIn = await authPost(api, '/api/auth/sign-in/email', { email, password });
      expect(signIn.status).toBe(200);
      expect(signIn.headers.get('set-auth-token')).toEqual(expect.any(String));
    });
  });

  describe('passwords', () => {
    it('ships a maintained list of at least 10 000 common passwords', () => {
      expect(commonPasswords.length).toBeGreaterThanOrEqual(10_000);
      expect(commonPasswords).toContain('password');
      expect(commonPasswords).toContain('12345678');
      expect(isCommonPassword('Password1234')).toBe(true);
      expect(isCommonPassword('correct-horse-battery')).toBe(false);
    });

    it.each(['password', '12345678', 'elevenchars'])(
      'refuses %s (shorter than 12 characters) with PASSWORD_TOO_SHORT',
      async (password) => {
        const response = await signUp({ email: uniqueEmail('short'), password, name: 'Short' });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'PASSWORD_TOO_SHORT' });
      },
    );

    it.each(['password1234', 'Password1234', 'qwertyuiop12', '123456654321'])(
      'refuses the common password %s with PASSWORD_TOO_COMMON',
      async (password) => {
        const email = uniqueEmail('common');
        const response = await signUp({ email, password, name: 'Common' });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await response.json()) as AuthBody;
        expect(body.code).toBe('PASSWORD_TOO_COMMON');
        expect(body.message).toMatch(/common/i);
        const rows = await api.database.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
        expect(rows).toHaveLength(0);
      },
    );

    it('accepts a 12-character password that is not common', async () => {
      const response = await signUp({
        email: uniqueEmail('ok'),
        password: 'mauve-otter7',
        name: 'Ok',
      });
      expect(response.status).toBe(200);
    });
  });

  describe('names', () => {
    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['101 characters', 'n'.repeat(NAME_MAX_LENGTH + 1)],
    ])('refuses a name that is %s with INVALID_NAME', async (_, name) => {
      const email = uniqueEmail('name');
      const response = await signUp({ email, password: 'a-fine-password-1', name });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'INVALID_NAME' });
      const rows = await api.database.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
      expect(rows).toHaveLength(0);
    });

    it('accepts 100 characters and stores the name trimmed', async () => {
      const email = uniqueEmail('name');
      const name = 'é'.repeat(NAME_MAX_LENGTH);
      const response = await signUp({ email, password: 'a-fine-password-1', name: `  ${name} ` });
      expect(response.status).toBe(200);
      const rows = await api.database.db.query<{ name: string }>(
        'SELECT name FROM users WHERE email = $1',
        [email],
      );
      expect(rows[0]!.name).toBe(name);
    });
  });
});

describe('per-account sign-in limit', () => {
  let api: TestApi;
  let counter = 0;
  // Every attempt from another address, so the per-address limit never applies.
  const fromNewAddress = () => ({ 'x-forwarded-for': `198.51.100.${++counter % 250}` });
  const signIn = (email: string, password: string) =>
    authPost(api, '/api/auth/sign-in/email', { email, password }, fromNewAddress());
  const expireLock = (email: string) =>
    api.database.db.query(
      `UPDATE sign_in_failures SET locked_until = now() - interval '1 second' WHERE account_key = $1`,
      [accountPseudonym(api.config.BETTER_AUTH_SECRET!, email)],
    );

  beforeAll(async () => {
    api = await startTestApi({ env: { AUTH_RATE_LIMIT: 'on', TRUST_PROXY: 'true' } });
  });
  afterAll(() => api.close());

  it('limits 12 wrong passwords for one account from 12 addresses: 429 with Retry-After', async () => {
    const user = await buildUser(api);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let attempt = 0; attempt < 12; attempt++) {
      const response = await signIn(user.email, `wrong-password-${attempt}`);
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.body?.cancel();
    }
    const free = SIGN_IN_LIMITS.FREE_ATTEMPTS;
    // The free attempts and the one after them are checked; from then on, locked.
    expect(statuses.slice(0, free + 1)).toEqual(Array(free + 1).fill(401));
    expect(statuses.slice(free + 1)).toEqual(Array(12 - free - 1).fill(429));
    const retryAfter = limited!.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(SIGN_IN_LIMITS.BASE_LOCK_SECONDS);
    expect(await limited!.json()).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });

    // Locked means locked: the right password waits too.
    expect((await signIn(user.email, user.password)).status).toBe(429);
  });

  it('limits an unknown email exactly like a known one', async () => {
    const email = uniqueEmail('nobody');
    const statuses = await statusesOf(SIGN_IN_LIMITS.FREE_ATTEMPTS + 2, () =>
      signIn(email, 'wrong-password-x'),
    );
    expect(statuses.at(-2)).toBe(401);
    expect(statuses.at(-1)).toBe(429);
  });

  it('doubles the lockout after each further failure', async () => {
    const user = await buildUser(api);
    const free = SIGN_IN_LIMITS.FREE_ATTEMPTS + 1;
    expect(await statusesOf(free, () => signIn(user.email, 'wrong-password-y'))).toEqual(
      Array(free).fill(401),
    );
    await expireLock(user.email);
    expect((await signIn(user.email, 'wrong-password-y')).status).toBe(401);
    const limited = await signIn(user.email, 'wrong-password-y');
    expect(limited.status).toBe(429);
    const seconds = Number(limited.headers.get('retry-after'));
    expect(seconds).toBeGreaterThan(SIGN_IN_LIMITS.BASE_LOCK_SECONDS);
    expect(seconds).toBeLessThanOrEqual(SIGN_IN_LIMITS.BASE_LOCK_SECONDS * 2);
  });

  it('starts the count over after a successful sign-in', async () => {
    const user = await buildUser(api);
    const wrong = () => signIn(user.email, 'wrong-password-z');
    const free = SIGN_IN_LIMITS.FREE_ATTEMPTS;
    expect(await statusesOf(free + 1, wrong)).toEqual(Array(free + 1).fill(401));
    expect((await signIn(user.email, user.password)).status).toBe(429);
    await expireLock(user.email);
    expect((await signIn(user.email, user.password)).status).toBe(200);
    expect(await statusesOf(free, wrong)).toEqual(Array(free).fill(401));
  });

  it('stores a keyed hash of the email, never the email', async () => {
    const email = uniqueEmail('stored');
    await signIn(email.toUpperCase(), 'wrong-password-w');
    const rows = await api.database.db.query<{ account_key: string }>(
      'SELECT account_key FROM sign_in_failures',
    );
    const keys = rows.map((row) => row.account_key);
    expect(keys).toContain(accountPseudonym(api.config.BETTER_AUTH_SECRET!, email));
    for (const key of keys) expect(key).not.toContain('@');
  });
});

describe('per-account sign-in limit with AUTH_RATE_LIMIT=off', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { AUTH_RATE_LIMIT: 'off' } });
  });
  afterAll(() => api.close());

  it('still applies: AUTH_RATE_LIMIT=off turns off the per-address limit only', async () => {
    const user = await buildUser(api);
    const statuses = await statusesOf(SIGN_IN_LIMITS.FREE_ATTEMPTS + 2, () =>
      authPost(api, '/api/auth/sign-in/email', { email: user.email, password: 'wrong-password-v' }),
    );
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('CSRF and origin checks', () => {
  let api: TestApi;
  const saved = { NODE_ENV: process.env.NODE_ENV, TEST: process.env.TEST };
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());
  afterEach(() => {
    process.env.NODE_ENV = saved.NODE_ENV;
    if (saved.TEST === undefined) delete process.env.TEST;
    else process.env.TEST = saved.TEST;
  });

  it.each([
    ['NODE_ENV=test', { NODE_ENV: 'test' }],
    ['TEST=1', { TEST: '1' }],
  ])('refuses a cross-site form POST sign-in under %s', async (_, env) => {
    Object.assign(process.env, env);
    const user = await buildUser(api);
    const form = await api.request('/api/auth/sign-in/email', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
      },
      body: new URLSearchParams({ email: user.email, password: user.password }).toString(),
    });
    expect(form.status).toBe(403);
    expect(form.headers.get('set-cookie')).toBeNull();
    const json = await authPost(
      api,
      '/api/auth/sign-in/email',
      { email: user.email, password: user.password },
      { origin: 'https://evil.example' },
    );
    expect(json.status).toBe(403);
    expect(json.headers.get('set-cookie')).toBeNull();
  });
});

describe('trusted origins without BETTER_AUTH_URL', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { BETTER_AUTH_URL: '', PORT: '3000' } });
  });
  afterAll(() => api.close());

  it.each(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000'])(
    'lets %s sign up',
    async (origin) => {
      const response = await authPost(
        api,
        '/api/auth/sign-up/email',
        { email: uniqueEmail('origin'), password: 'loopback-password-1', name: 'Loop' },
        { origin },
      );
      expect(response.status).toBe(200);
    },
  );

  it('tells any other origin to set BETTER_AUTH_URL', async () => {
    const response = await authPost(
      api,
      '/api/auth/sign-up/email',
      { email: uniqueEmail('origin'), password: 'loopback-password-1', name: 'Far' },
      { origin: 'http://192.168.1.20:3000' },
    );
    expect(response.status).toBe(403);
    const body = (await response.json()) as AuthBody;
    expect(body.code).toBe('INVALID_ORIGIN');
    expect(body.message).toBe(INVALID_ORIGIN_MESSAGE);
    expect(body.message).toMatch(/set BETTER_AUTH_URL to this site's URL/);
  });
});

describe('auth decision logs', () => {
  interface AuthLine extends LogLine {
    event?: string;
    component?: string;
    client_address?: string;
    account?: string;
  }
  const logs = captureLogs<AuthLine>('debug');
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      env: { TRUST_PROXY: 'true', AUTH_RATE_LIMIT: 'off' },
      logger: logs.logger,
    });
  });
  afterAll(() => api.close());

  const pseudonym = (email: string) => accountPseudonym(api.config.BETTER_AUTH_SECRET!, email);
  const linesFor = (response: Response) =>
    logs.lines.filter((line) => line.request_id === response.headers.get('x-request-id'));
  const eventOf = (response: Response, event: string) => {
    const line = linesFor(response).find((l) => l.event === event);
    expect(line, `no ${event} line`).toBeDefined();
    return line!;
  };

  it('logs sign-up, sign-in success and failure, rate limiting and API 401s with request id, address and account pseudonym', async () => {
    const email = uniqueEmail('logged');
    const password = 'logged-password-123';
    const address = { 'x-forwarded-for': '203.0.113.7' };
    const signUp = await authPost(
      api,
      '/api/auth/sign-up/email',
      { email, password, name: 'Logged' },
      address,
    );
    const signIn = (attempt: string) =>
      authPost(api, '/api/auth/sign-in/email', { email, password: attempt }, address);
    const ok = await signIn(password);
    const token = ok.headers.get('set-auth-token')!;
    const wrong = await signIn('not-the-password-1');
    await statusesOf(SIGN_IN_LIMITS.FREE_ATTEMPTS, () => signIn('not-it-either-1'));
    const limited = await signIn('not-it-either-1');
    expect(limited.status).toBe(429);
    const unauthorized = await api.request('/api/tasks', {
      headers: { authorization: 'Bearer not-a-token', ...address },
    });
    expect(unauthorized.status).toBe(401);

    const expected = { client_address: '203.0.113.7', account: pseudonym(email) };
    expect(eventOf(signUp, 'sign_up')).toMatchObject(expected);
    expect(eventOf(ok, 'sign_in_succeeded')).toMatchObject(expected);
    expect(eventOf(wrong, 'sign_in_failed')).toMatchObject({ ...expected, status: 401 });
    expect(eventOf(limited, 'rate_limited')).toMatchObject({ ...expected, status: 429 });
    expect(eventOf(unauthorized, 'api_unauthorized')).toMatchObject({
      client_address: '203.0.113.7',
      status: 401,
    });

    const text = logs.text();
    expect(text).not.toContain(email);
    expect(text).not.toContain(password);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[0]!);
  });

  it("gives Better Auth's own log lines the request id", async () => {
    const response = await authPost(
      api,
      '/api/auth/sign-up/email',
      { email: uniqueEmail('far'), password: 'far-away-password-1', name: 'Far' },
      { origin: 'https://elsewhere.example' },
    );
    expect(response.status).toBe(403);
    const own = linesFor(response).filter((line) => line.component === 'better-auth');
    expect(own.length).toBeGreaterThan(0);
    expect(own[0]!.msg).toMatch(/Invalid origin/);
  });

  it("keeps emails out of Better Auth's own log lines", async () => {
    const taken = await buildUser(api);
    const response = await authPost(api, '/api/auth/sign-up/email', {
      email: taken.email,
      password: 'another-password-1',
      name: 'Again',
    });
    expect(response.status).toBe(200);
    const own = linesFor(response).filter((line) => line.component === 'better-auth');
    expect(own.some((line) => /existing email/.test(String(line.msg)))).toBe(true);
    expect(logs.text()).not.toContain(taken.email);
  });
});

describe('per-address limit logs', () => {
  const logs = captureLogs('info');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      env: { AUTH_RATE_LIMIT: 'on', TRUST_PROXY: 'true' },
      logger: logs.logger,
    });
  });
  afterAll(() => api.close());

  it('answers failed sign-ins from one address 401, then 429 with Retry-After, logged with request id, address and account pseudonym', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    let email = '';
    for (let attempt = 0; attempt < 10 && !limited; attempt++) {
      email = uniqueEmail('address');
      const response = await authPost(
        api,
        '/api/auth/sign-in/email',
        { email, password: 'wrong-password-u' },
        { 'x-forwarded-for': '192.0.2.44' },
      );
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else await response.body?.cancel();
    }
    expect(limited, `statuses: ${statuses.join(',')}`).toBeDefined();
    for (const status of statuses.slice(0, -1)) expect(status).toBe(401);
    expect(limited!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expectNoInternals(await limited!.clone().text());
    const line = logs.lines.find(
      (l) => l.event === 'rate_limited' && l.request_id === limited!.headers.get('x-request-id'),
    );
    expect(line).toMatchObject({
      reason: 'address',
      client_address: '192.0.2.44',
      account: accountPseudonym(api.config.BETTER_AUTH_SECRET!, email),
    });
    expect(logs.text()).not.toContain(email);
  });
});
