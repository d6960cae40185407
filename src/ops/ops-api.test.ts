import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestApi,
  type TestApi,
  type TestUser,
  testApp,
  testConfig,
} from '../../test/support/api.js';
import { buildUser } from '../../test/support/factories.js';
import {
  createTestDatabase,
  openServerDatabase,
  silentLogger,
  type TestDatabase,
} from '../../test/support/test-database.js';
import { loadMigrations, Migrator } from '../db/migrator.js';
import { startServer } from '../server.js';

const VERSIONS = loadMigrations().map((m) => m.version);
const LATEST_MIGRATION = VERSIONS.at(-1)!;
const PREVIOUS_MIGRATION = VERSIONS.at(-2)!;
const exposed = ['ETag', 'Location', 'Link', 'X-Next-Cursor', 'X-Request-Id', 'Retry-After'];

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, { content?: Record<string, unknown> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
}

const methods = ['get', 'post', 'put', 'patch', 'delete'];

describe('operations endpoints', () => {
  let api: TestApi;
  let ann: TestUser;

  beforeAll(async () => {
    api = await startTestApi();
    ann = await buildUser(api);
  });
  afterAll(() => api.close());

  it('/healthz answers 200 without credentials', async () => {
    const response = await api.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 with the migration version when the schema is current', async () => {
    const response = await api.request('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready', version: LATEST_MIGRATION });
  });

  describe('/openapi.json', () => {
    let doc: OpenApiDocument;
    beforeAll(async () => {
      const response = await api.request('/openapi.json');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      doc = (await response.json()) as OpenApiDocument;
    });

    it('is OpenAPI 3.1, served without credentials', () => {
      expect(doc.openapi.startsWith('3.1')).toBe(true);
    });

    it('describes our routes and Better Auth’s under /api/auth', () => {
      const paths = Object.keys(doc.paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/tasks',
          '/api/tasks/{id}',
          '/api/tasks/{id}/complete',
          '/api/{user_id}/tasks',
          '/api/{user_id}/tasks/{id}',
          '/api/me',
          '/api/me/export',
          '/api/auth/sign-up/email',
          '/api/auth/sign-in/email',
          '/api/auth/sign-out',
          '/api/auth/token',
          '/api/auth/jwks',
        ]),
      );
      // Better Auth's paths are all mounted under its base path, none at the root.
      for (const path of paths) expect(path).toMatch(/^\/api\//);
    });

    it('declares the bearer and cookie security schemes', () => {
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      expect(doc.components.securitySchemes.cookieAuth).toMatchObject({
        type: 'apiKey',
        in: 'cookie',
      });
    });

    it('documents every task and account operation: security, 401, 404, 422 as problem+json', () => {
      const ours = Object.entries(doc.paths).filter(([path]) => !path.startsWith('/api/auth'));
      let operations = 0;
      for (const [path, item] of ours) {
        for (const [method, operation] of Object.entries(item)) {
          if (!methods.includes(method)) continue;
          operations++;
          const where = `${method.toUpperCase()} ${path}`;
          const responses = operation.responses ?? {};
          const schemes = (operation.security ?? []).flatMap((s) => Object.keys(s));
          expect(schemes, where).toEqual(expect.arrayContaining(['bearerAuth', 'cookieAuth']));
          expect(Object.keys(responses), where).toContain('401');
          if (path.includes('{id}')) expect(Object.keys(responses), where).toContain('404');
          if (path.includes('{user_id}')) expect(Object.keys(responses), where).toContain('403');
          const hasBody = method === 'post' || method === 'put' || method === 'patch';
          const bodiless = /\/(complete|accept|skip|read|read-all)$/.test(path);
          if (hasBody && !bodiless) {
            expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['415', '422']));
          }
          for (const [status, response] of Object.entries(responses)) {
            if (Number(status) < 400) continue;
            expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual([
              'application/problem+json',
            ]);
          }
        }
      }
      expect(operations).toBeGreaterThanOrEqual(17);
    });
  });

  it('/docs serves the HTML reference without credentials', async () => {
    const response = await api.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain('/openapi.json');
  });

  it('/metrics serves Prometheus text with request, pool, database and migration metrics', async () => {
    const missing = await api.request('/api/tasks/424242', {
      headers: { authorization: `Bearer ${ann.jwt}` },
    });
    expect(missing.status).toBe(404);
    const response = await api.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    // Labelled by the route pattern, never by the concrete path.
    expect(text).toMatch(
      /^http_requests_total\{[^}]*route="\/api\/tasks\/:id"[^}]*status="404"[^}]*\} 1$/m,
    );
    expect(text).not.toContain('424242');
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{[^}]*route="\/api\/tasks\/:id"/m);
    for (const name of [
      'db_pool_total',
      'db_pool_idle',
      'db_pool_waiting',
      'db_errors_total',
      'db_connect_failures_total',
      'db_migration_version',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name} \\d+(\\.\\d+)?$`, 'm'));
    }
    expect(text).toMatch(/^db_pool_total [1-9]/m);
  });
});

describe('/readyz with a migration pending or the database down', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    expect(await new Migrator(database.db).rollback()).toEqual([LATEST_MIGRATION]);
  });
  afterAll(() => database.drop());

  it('answers 503 with Retry-After while a migration is pending', async () => {
    const app = testApp(testConfig(database.url), database.db);
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({
      version: PREVIOUS_MIGRATION,
      pending: 1,
    });
    // Liveness does not depend on the schema.
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('answers 503 with Retry-After when the database cannot be reached', async () => {
    const url = 'postgres://nobody@127.0.0.1:1/nowhere';
    const db = openServerDatabase(url, 1);
    try {
      const app = testApp(testConfig(url), db);
      const response = await app.request('/readyz');
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = await response.text();
      expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
      expect((await app.request('/healthz')).status).toBe(200);
    } finally {
      await db.close();
    }
  });
});

describe('db_migration_version of a started server', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(() => database.drop());

  it('reports the version it migrated to on start', async () => {
    const server = await startServer(
      testConfig(database.url, { HOST: '127.0.0.1', PORT: '0', MIGRATE_ON_START: 'true' }),
      silentLogger,
    );
    try {
      const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(
        new RegExp(`^db_migration_version ${LATEST_MIGRATION}$`, 'm'),
      );
      const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const token = 'a-long-metrics-token-123';
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { METRICS_TOKEN: token } });
  });
  afterAll(() => api.close());

  it('refuses a scrape without the token, or with another one', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer a-wrong-metrics-token-456' },
      { authorization: token },
    ];
    for (const headers of attempts) {
      const response = await api.request('/metrics', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.text()).not.toContain('http_requests_total');
    }
  });

  it('serves the metrics for the bearer token', async () => {
    const response = await api.request('/metrics', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('http_requests_total');
  });

  it('leaves the health, readiness and documentation endpoints open', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect((await api.request(path)).status, path).toBe(200);
    }
  });
});

describe('CORS', () => {
  const allowed = 'http://app.example';
  let api: TestApi;
  let ann: TestUser;
  beforeAll(async () => {
    api = await startTestApi({ env: { CORS_ORIGINS: allowed } });
    ann = await buildUser(api);
  });
  afterAll(() => api.close());

  const exposedBy = (response: Response) =>
    (response.headers.get('access-control-expose-headers') ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase());

  it('answers a preflight from a listed origin, with credentials allowed', async () => {
    const response = await api.request('/api/tasks', {
      method: 'OPTIONS',
      headers: {
        origin: allowed,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, if-match, idempotency-key',
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const allowedHeaders = (
      response.headers.get('access-control-allow-headers') ?? ''
    ).toLowerCase();
    for (const header of ['authorization', 'content-type', 'if-match', 'idempotency-key']) {
      expect(allowedHeaders).toContain(header);
    }
  });

  it('exposes ETag, Location, Link, X-Next-Cursor, X-Request-Id and Retry-After on responses', async () => {
    const response = await api.request('/api/tasks', {
      headers: { origin: allowed, authorization: `Bearer ${ann.jwt}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(exposedBy(response)).toEqual(
      expect.arrayContaining(exposed.map((h) => h.toLowerCase())),
    );
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it('lets a listed origin read error responses too', async () => {
    const response = await api.request('/api/tasks', { headers: { origin: allowed } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
  });

  it('gives another origin no Access-Control-Allow-Origin', async () => {
    const evil = 'http://evil.example';
    const preflight = await api.request('/api/tasks', {
      method: 'OPTIONS',
      headers: { origin: evil, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await api.request('/api/tasks', {
      headers: { origin: evil, cookie: ann.cookie },
    });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });
});
