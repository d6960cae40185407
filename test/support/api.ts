import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import type { AppEnv } from '../../src/http/context.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { Metrics } from '../../src/ops/metrics.js';
import {
  createAppRole,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  type TestDatabase,
} from './test-database.js';

// The whole application over a fresh migrated database, connected as a role that is not a
// superuser so row-level security is live, with helpers to sign users up.

export const BASE_URL = 'http://localhost:3000';

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
  /** Session token for `Authorization: Bearer`. */
  sessionToken: string;
  /** Cookie header value carrying the session. */
  cookie: string;
  /** An EdDSA JWT from /api/auth/token. */
  jwt: string;
}

export interface TestApi {
  app: OpenAPIHono<AppEnv>;
  config: Config;
  database: TestDatabase;
  /** The app's own connection (as the non-superuser role). */
  db: Database;
  metrics: Metrics;
  /** In-process request: path relative to BASE_URL. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Request with a JSON body and the user's JWT (or no auth when user is undefined). */
  json(
    method: string,
    path: string,
    user: TestUser | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  signUp(overrides?: { email?: string; name?: string; password?: string }): Promise<TestUser>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  env?: Record<string, string>;
  logger?: Logger;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const { role, url } = await createAppRole(database);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    BETTER_AUTH_URL: BASE_URL,
    BETTER_AUTH_SECRET: randomBytes(32).toString('hex'),
    AUTH_RATE_LIMIT: 'off',
    // Suites that write a lot (fuzzing, races) would hit it; its own tests turn it on.
    API_WRITE_LIMIT_PER_MINUTE: 'off',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const db = openServerDatabase(url, 10);
  const metrics = new Metrics();
  const app = buildApp(config, options.logger ?? createLogger('silent'), db, metrics);
  const request = (path: string, init?: RequestInit) =>
    Promise.resolve(app.request(`${BASE_URL}${path}`, init));
  const json: TestApi['json'] = (method, path, user, body, headers = {}) =>
    request(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(user ? { authorization: `Bearer ${user.jwt}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let counter = 0;
  const signUp: TestApi['signUp'] = async (overrides = {}) => {
    counter++;
    const email =
      overrides.email ?? `user-${randomBytes(4).toString('hex')}-${counter}@example.test`;
    const password = overrides.password ?? 'correct-horse-battery';
    const name = overrides.name ?? `User ${counter}`;
    const response = await request('/api/auth/sign-up/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE_URL },
      body: JSON.stringify({ email, password, name }),
    });
    if (response.status !== 200)
      throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
    await response.body?.cancel();
    // Sign-up gives no session (it must not tell a new email from a taken one): sign in.
    const signIn = await request('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE_URL },
      body: JSON.stringify({ email, password }),
    });
    if (signIn.status !== 200)
      throw new Error(`sign-in after sign-up failed: ${signIn.status} ${await signIn.text()}`);
    const body = (await signIn.json()) as { user: { id: string } };
    const sessionToken = signIn.headers.get('set-auth-token')!;
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const tokenResponse = await request('/api/auth/token', {
      headers: { authorization: `Bearer ${sessionToken}` },
    });
    const { token: jwt } = (await tokenResponse.json()) as { token: string };
    return {
      id: body.user.id,
      email: email.toLowerCase(),
      name,
      password,
      sessionToken,
      cookie,
      jwt,
    };
  };
  return {
    app,
    config,
    database,
    db,
    metrics,
    request,
    json,
    signUp,
    async close() {
      await db.close();
      await dropRole(role, database).catch(() => {});
      await database.drop();
    },
  };
}

/** The same app listening on a real port (for socket-level behaviour: client IP, keep-alive). */
export async function listen(
  app: OpenAPIHono<AppEnv>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
