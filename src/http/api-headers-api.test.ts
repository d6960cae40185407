import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authPost,
  startTestApi,
  type TestApi,
  type TestUser,
  testApp,
} from '../../test/support/api.js';
import { buildUser } from '../../test/support/factories.js';
import { type Database, DatabaseUnavailableError } from '../db/database.js';

// Every /api answer is private to its caller and typed by its Content-Type: no cache may
// keep it (Cache-Control: no-store) and no browser may sniff it (nosniff), errors included.
// The web app's and the API reference's static files keep their own caching.

let api: TestApi;
let limited: TestApi;
let user: TestUser;

beforeAll(async () => {
  [api, limited] = await Promise.all([
    startTestApi(),
    startTestApi({ env: { API_WRITE_LIMIT_PER_MINUTE: '1' } }),
  ]);
  user = await buildUser(api);
});
afterAll(() => Promise.all([api.close(), limited.close()]));

function expectPrivateAndTyped(response: Response, label: string): void {
  expect(response.headers.get('cache-control'), label).toBe('no-store');
  expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
}

describe('/api response headers', () => {
  it('are on every answer of the table, success or error', async () => {
    const created = await api.json('POST', '/api/tasks', user, { title: 'Headers' });
    const { id } = (await created.json()) as { id: number };
    const table: Array<[number, () => Promise<Response>]> = [
      [200, () => api.json('GET', '/api/tasks', user)],
      [200, () => api.json('GET', '/api/me', user)],
      [200, () => api.json('GET', '/api/me/export', user)],
      [201, () => api.json('POST', '/api/tasks', user, { title: 'Another' })],
      [204, () => api.json('DELETE', `/api/tasks/${id}`, user)],
      [400, () => api.json('GET', '/api/tasks?limit=nope', user)],
      [401, () => api.json('GET', '/api/tasks', undefined)],
      [404, () => api.json('GET', `/api/tasks/${id}`, user)],
      [404, () => api.json('GET', '/api/no-such-thing', user)],
      [413, () => api.json('POST', '/api/tasks', user, { title: 'x'.repeat(70_000) })],
      [
        415,
        () =>
          api.request('/api/tasks', {
            method: 'POST',
            headers: { authorization: `Bearer ${user.jwt}`, 'content-type': 'text/plain' },
            body: 'title=x',
          }),
      ],
      [422, () => api.json('POST', '/api/tasks', user, { title: '' })],
      // Better Auth's own answers.
      [200, () => api.request('/api/auth/get-session')],
      [200, () => api.request('/api/auth/jwks')],
      [
        401,
        () =>
          authPost(api, '/api/auth/sign-in/email', {
            email: user.email,
            password: 'not-the-password',
          }),
      ],
      [404, () => api.request('/api/auth/no-such-endpoint')],
    ];
    for (const [status, send] of table) {
      const response = await send();
      const label = `${response.status} ${response.url}`;
      expect(response.status, label).toBe(status);
      expectPrivateAndTyped(response, label);
    }
  });

  it('are on a 429 of the write limit', async () => {
    const someone = await buildUser(limited);
    expect((await limited.json('POST', '/api/tasks', someone, { title: 'one' })).status).toBe(201);
    const refused = await limited.json('POST', '/api/tasks', someone, { title: 'two' });
    expect(refused.status).toBe(429);
    expectPrivateAndTyped(refused, '429');
  });

  it('are on a 503 when the database is unreachable', async () => {
    const unreachable: Database = {
      ...api.db,
      query: () => Promise.reject(new DatabaseUnavailableError('connection refused')),
    };
    const response = await testApp(api.config, unreachable).json('GET', '/api/tasks', user);
    expect(response.status).toBe(503);
    expectPrivateAndTyped(response, '503');
  });

  it('leave the caching of static files alone', async () => {
    const asset = await api.request('/docs/swagger-ui.css');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=86400');
    const health = await api.request('/healthz');
    expect(health.headers.get('cache-control')).not.toBe('no-store');
  });
});
