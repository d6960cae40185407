import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPost, startTestApi, type TestApi } from '../../test/support/api.js';
import { expectProblem } from '../../test/support/api-assertions.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import { loadConfig } from '../config.js';
import { WriteRateLimiter } from './middleware.js';

// Each user may make API_WRITE_LIMIT_PER_MINUTE writes (POST/PUT/PATCH/DELETE under /api,
// Better Auth aside) a minute; more are refused with 429 rate_limited and Retry-After.

describe('API_WRITE_LIMIT_PER_MINUTE', () => {
  it('defaults to 600, takes a whole number, and off disables it', () => {
    expect(loadConfig({}).API_WRITE_LIMIT_PER_MINUTE).toBe(600);
    expect(loadConfig({ API_WRITE_LIMIT_PER_MINUTE: '30' }).API_WRITE_LIMIT_PER_MINUTE).toBe(30);
    expect(loadConfig({ API_WRITE_LIMIT_PER_MINUTE: 'off' }).API_WRITE_LIMIT_PER_MINUTE).toBe(
      undefined,
    );
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      expect(() => loadConfig({ API_WRITE_LIMIT_PER_MINUTE: bad })).toThrow(
        /API_WRITE_LIMIT_PER_MINUTE/,
      );
    }
  });
});

describe('WriteRateLimiter', () => {
  it('allows the limit in a minute, then refuses until that minute has passed', () => {
    let now = 1_000_000;
    const limiter = new WriteRateLimiter(3, () => now);
    for (let i = 0; i < 3; i++) expect(limiter.take('ann').allowed).toBe(true);
    expect(limiter.take('ann')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    now += 45_500;
    expect(limiter.take('ann')).toEqual({ allowed: false, retryAfterSeconds: 15 });
    now += 14_499;
    expect(limiter.take('ann')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1;
    expect(limiter.take('ann').allowed).toBe(true);
  });

  it('counts each user apart', () => {
    const limiter = new WriteRateLimiter(1, () => 0);
    expect(limiter.take('ann').allowed).toBe(true);
    expect(limiter.take('bob').allowed).toBe(true);
    expect(limiter.take('ann').allowed).toBe(false);
  });

  it('forgets the users whose window has ended', () => {
    let now = 0;
    const limiter = new WriteRateLimiter(5, () => now);
    for (let i = 0; i < 100; i++) limiter.take(`user-${i}`);
    expect(limiter.size).toBe(100);
    now += 61_000;
    limiter.take('late');
    expect(limiter.size).toBe(1);
  });
});

describe('the write limit on the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { API_WRITE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => api.close());

  it('refuses the write after the limit with 429 rate_limited and Retry-After', async () => {
    const user = await buildUser(api);
    const { id } = await buildTask(api, user, { title: 'one' });
    expect((await api.json('PATCH', `/api/tasks/${id}`, user, { title: 'two' })).status).toBe(200);
    expect((await api.json('DELETE', `/api/tasks/${id}`, user)).status).toBe(204);

    const refused = await api.json('POST', '/api/tasks', user, { title: 'four' });
    await expectProblem(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Nothing was written by the refused request.
    const list = (await (await api.json('GET', '/api/tasks', user)).json()) as unknown[];
    expect(list).toEqual([]);
  });

  it('still answers reads, and other users, once a user is over the limit', async () => {
    const [busy, other] = await Promise.all([buildUser(api), buildUser(api)]);
    for (let i = 0; i < 3; i++) await buildTask(api, busy, { title: `t${i}` });
    expect((await api.json('POST', '/api/tasks', busy, { title: 'over' })).status).toBe(429);
    expect((await api.json('PUT', '/api/tasks/1', busy, { title: 'over' })).status).toBe(429);
    expect((await api.json('DELETE', '/api/me', busy)).status).toBe(429);
    expect((await api.json('GET', '/api/tasks', busy)).status).toBe(200);
    expect((await api.json('GET', '/api/me', busy)).status).toBe(200);
    await buildTask(api, other, { title: 'mine' });
  });

  it('does not count sign-up, sign-in and token requests', async () => {
    const user = await buildUser(api);
    for (let i = 0; i < 4; i++) {
      const response = await authPost(api, '/api/auth/sign-in/email', {
        email: user.email,
        password: user.password,
      });
      expect(response.status).toBe(200);
    }
    expect((await api.json('POST', '/api/tasks', user, { title: 'after sign-ins' })).status).toBe(
      201,
    );
  });
});
