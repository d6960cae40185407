import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authPost,
  BASE_URL,
  startTestApi,
  type TestApi,
  type TestUser,
} from '../../test/support/api.js';
import { expectProblem } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import { countRows } from '../../test/support/test-database.js';
import { SIGN_IN_LIMITS } from '../auth/sign-in-limiter.js';
import { FRESH_SESSION_SECONDS } from './reauthentication.js';

describe('DELETE /api/me needs a fresh proof', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const exists = async (user: TestUser) =>
    (await countRows(api.database.db, 'users', 'id = $1', [user.id])) === 1;
  /** DELETE /api/me with exactly these credentials. */
  const deleteMe = (headers: Record<string, string>, body?: unknown) =>
    api.json('DELETE', '/api/me', undefined, body, headers);
  const ageSessions = (user: TestUser, seconds: number) =>
    api.database.db.query(
      `UPDATE sessions SET created_at = now() - make_interval(secs => $2) WHERE user_id = $1`,
      [user.id, seconds],
    );
  const jwtOf = (user: TestUser) => ({ authorization: `Bearer ${user.jwt}` });

  it('refuses a bare JWT without the password: 403 reauthentication_required', async () => {
    const user = await buildUser(api);
    await expectProblem(await deleteMe(jwtOf(user)), 403, 'reauthentication_required');
    await expectProblem(await deleteMe(jwtOf(user), {}), 403, 'reauthentication_required');
    expect(await exists(user)).toBe(true);
  });

  it('refuses a session older than 10 minutes without the password', async () => {
    const user = await buildUser(api);
    await ageSessions(user, FRESH_SESSION_SECONDS + 60);
    await expectProblem(await deleteMe({ cookie: user.cookie }), 403, 'reauthentication_required');
    await expectProblem(
      await deleteMe({ authorization: `Bearer ${user.sessionToken}` }),
      403,
      'reauthentication_required',
    );
    expect(await exists(user)).toBe(true);
  });

  it('deletes with a session cookie created within the last 10 minutes', async () => {
    const user = await buildUser(api);
    await ageSessions(user, FRESH_SESSION_SECONDS - 60);
    const response = await deleteMe({ cookie: user.cookie, origin: BASE_URL });
    expect(response.status).toBe(204);
    expect(await exists(user)).toBe(false);
  });

  it('deletes with a fresh bearer session token', async () => {
    const user = await buildUser(api);
    const response = await deleteMe({ authorization: `Bearer ${user.sessionToken}` });
    expect(response.status).toBe(204);
    expect(await exists(user)).toBe(false);
  });

  it('deletes with a JWT and the password in the body', async () => {
    const user = await buildUser(api);
    const response = await deleteMe(jwtOf(user), { password: user.password });
    expect(response.status).toBe(204);
    expect(await exists(user)).toBe(false);
  });

  it('refuses a wrong password with 403 wrong_password, even with a fresh session', async () => {
    const user = await buildUser(api);
    await expectProblem(
      await deleteMe({ cookie: user.cookie }, { password: 'not-the-password-1' }),
      403,
      'wrong_password',
    );
    expect(await exists(user)).toBe(true);
  });

  it('counts wrong passwords as failed sign-ins for the account: then 429 with Retry-After, here and at sign-in', async () => {
    const user = await buildUser(api);
    for (let attempt = 0; attempt <= SIGN_IN_LIMITS.FREE_ATTEMPTS; attempt++) {
      await expectProblem(
        await deleteMe(jwtOf(user), { password: `wrong-password-${attempt}` }),
        403,
        'wrong_password',
      );
    }
    const limited = await deleteMe(jwtOf(user), { password: user.password });
    await expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const signIn = await authPost(api, '/api/auth/sign-in/email', {
      email: user.email,
      password: user.password,
    });
    expect(signIn.status).toBe(429);
    expect(await exists(user)).toBe(true);
  });

  it('refuses a password that is not a string, and a body that is not JSON', async () => {
    const user = await buildUser(api);
    await expectProblem(await deleteMe(jwtOf(user), { password: 42 }), 422, 'validation_failed');
    const text = await api.request('/api/me', {
      method: 'DELETE',
      headers: { ...jwtOf(user), 'content-type': 'text/plain' },
      body: user.password,
    });
    expect(text.status).toBe(415);
    expect(await exists(user)).toBe(true);
  });

  it('documents the password body and the 403 in the OpenAPI contract', async () => {
    const document = (await (await api.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: object }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const operation = document.paths['/api/me']!.delete!;
    expect(JSON.stringify(operation.requestBody)).toContain('#/components/schemas/DeleteAccount');
    expect(Object.keys(document.components.schemas.DeleteAccount!.properties!)).toEqual([
      'password',
    ]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['204', '403', '429']));
  });
});
