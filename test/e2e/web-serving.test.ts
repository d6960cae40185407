import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/http/context.js';
import { findWebDist, registerWebApp } from '../../src/http/web-app.js';

// How the server hands out the built web app (src/http/web-app.ts), over a small fake build:
// cache headers, content types, the single-page fallback, and nothing outside dist/web.

let work: string;
let dist: string;

function appServing(distDir: string) {
  const app = new OpenAPIHono<AppEnv>();
  // As in createApp: unknown routes are problem+json 404s.
  app.notFound((c) =>
    c.json({ status: 404, code: 'not_found' }, 404, { 'Content-Type': 'application/problem+json' }),
  );
  app.onError((_error, c) => c.json({ status: 500, code: 'internal' }, 500));
  app.get('/api/hello', (c) => c.json({ hello: 'world' }));
  registerWebApp(app, distDir);
  return app;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'web-serving-'));
  dist = join(work, 'dist', 'web');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><title>Tasks</title><div id="root"></div>',
  );
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1);');
  writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.env'), 'SECRET=hidden');
  writeFileSync(join(work, 'secret.txt'), 'SECRET=outside');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('serving the built web app', () => {
  it('serves index.html at / with no-cache and a content security policy', async () => {
    const response = await appServing(dist).request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toContain('<div id="root">');
  });

  it('serves hashed assets as immutable with their content types', async () => {
    const app = appServing(dist);
    const js = await app.request('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1);');
    const css = await app.request('/assets/index-abc123.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await app.request('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers any other page address with index.html (the app routes itself)', async () => {
    const app = appServing(dist);
    for (const path of ['/sign-in', '/sign-up?next=%2F', '/?show=open&tag=work', '/a/b/c']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toContain('<div id="root">');
    }
    const head = await app.request('/sign-in', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('leaves the server paths alone: their unknown URLs stay problem+json 404s', async () => {
    const app = appServing(dist);
    expect(await (await app.request('/api/hello')).json()).toEqual({ hello: 'world' });
    for (const path of ['/api/nope', '/api', '/healthz/x', '/docs/x', '/metrics/x']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toBe('application/problem+json');
    }
  });

  it('never shadows a route registered after it', async () => {
    const app = appServing(dist);
    app.get('/late', (c) => c.text('late route'));
    app.get('/late-error', () => {
      throw new Error('boom');
    });
    expect(await (await app.request('/late')).text()).toBe('late route');
    expect((await app.request('/late-error')).status).toBe(500);
  });

  it('answers only GET and HEAD: other methods keep their 404', async () => {
    const response = await appServing(dist).request('/sign-in', { method: 'POST' });
    expect(response.status).toBe(404);
  });

  it('gives a missing hashed asset a 404, never the page', async () => {
    const response = await appServing(dist).request('/assets/index-gone.js');
    expect(response.status).toBe(404);
  });

  it('never serves a file outside dist/web or a dot file', async () => {
    const app = appServing(dist);
    for (const path of [
      '/..%2fsecret.txt',
      '/..%2f..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/.env',
      '/%2eenv',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const response = await app.request(path);
      expect(await response.text(), path).not.toContain('SECRET');
    }
  });

  it('without a build, says how to make one at / and serves nothing else', async () => {
    const app = appServing(join(work, 'no-build'));
    const response = await app.request('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('npm run build:web');
    expect((await app.request('/sign-in')).status).toBe(404);
  });

  it('finds dist/web at the package root', () => {
    const found = findWebDist();
    expect(found.endsWith(join('dist', 'web'))).toBe(true);
    expect(existsSync(join(dirname(dirname(found)), 'package.json'))).toBe(true);
  });
});
