import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import type { AppEnv } from '../../src/http/context.js';
import type { Logger } from '../../src/logger.js';
import { Metrics } from '../../src/ops/metrics.js';
import {
  createAppRole,
  createTestDatabase,
  dropRole,
  openServerDatabase,
  silentLogger,
  type TestDatabase,
} from './test-database.js';

// The whole application over a fresh migrated database, connected as a role that is not a
// superuser so row-level security is live. The one place a test builds the app.

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

/** Requests to one running app, in process or over a socket. */
export interface HttpClient {
  /** The site's own origin, as a browser on it sends in Origin. */
  origin: string;
  /** A request to a path of the app. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Request with a JSON body and the user's JWT (or no auth when user is undefined). */
  json(
    method: string,
    path: string,
    user: TestUser | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

export interface AppClient extends HttpClient {
  app: OpenAPIHono<AppEnv>;
}

export interface TestApi extends AppClient {
  config: Config;
  database: TestDatabase;
  /** The app's own connection (as the non-superuser role). */
  db: Database;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface TestApiOptions {
  env?: Record<string, string>;
  logger?: Logger;
}

/** The configuration of a test app on `databaseUrl`: a fresh secret, limits off, silent. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    BETTER_AUTH_URL: BASE_URL,
    BETTER_AUTH_SECRET: randomBytes(32).toString('hex'),
    AUTH_RATE_LIMIT: 'off',
    // Suites that write a lot (fuzzing, races) would hit it; its own tests turn it on.
    API_WRITE_LIMIT_PER_MINUTE: 'off',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** A client for any fetch function: the app's own, or the network's for a listening server. */
function clientOf(
  origin: string,
  fetchPath: (path: string, init?: RequestInit) => Promise<Response>,
): HttpClient {
  const json: HttpClient['json'] = (method, path, user, body, headers = {}) =>
    fetchPath(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(user ? { authorization: `Bearer ${user.jwt}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { origin, request: fetchPath, json };
}

/** The app over `db`, in process. */
export function testApp(
  config: Config,
  db: Database,
  options: { logger?: Logger; metrics?: Metrics } = {},
): AppClient {
  const app = buildApp(config, options.logger ?? silentLogger, db, options.metrics);
  const request = (path: string, init?: RequestInit) =>
    Promise.resolve(app.request(`${BASE_URL}${path}`, init));
  return { app, ...clientOf(BASE_URL, request) };
}

/** A server listening at `url` whose public origin is `origin`. */
export function httpClient(url: string, origin = url): HttpClient {
  return clientOf(origin, (path, init) => fetch(`${url}${path}`, init));
}

/** A POST to Better Auth with a JSON body, from the site's own origin unless told another. */
export function authPost(
  client: Pick<HttpClient, 'origin' | 'request'>,
  path: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return client.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: client.origin, ...headers },
    body: JSON.stringify(body),
  });
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const { role, url } = await createAppRole(database);
  const config = testConfig(url, options.env);
  const db = openServerDatabase(url, 10);
  const metrics = new Metrics();
  return {
    ...testApp(config, db, { logger: options.logger, metrics }),
    config,
    database,
    db,
    metrics,
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
