import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.js';

// The web app (web/, built by `npm run build:web` into dist/web) served at /, so one server
// and one URL give the whole product. It answers only GETs that no route answered
// (a 404), outside the server's own paths, whose unknown URLs stay problem+json 404s. Being
// a fallback rather than a catch-all route, it never shadows a route registered after it.

const serverPaths = ['/api', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'];
const isServerPath = (path: string) =>
  serverPaths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// Vite names everything under assets/ by its content hash: a new build means new names.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// Everything else (index.html above all) is checked with the server on every use, so a
// deployment is picked up at once.
const REVALIDATE = 'no-cache';

const pageHeaders = {
  'Content-Type': contentTypes['.html']!,
  'Cache-Control': REVALIDATE,
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
};

/** dist/web of this package, found from this file whether it runs from src/ or dist/src/. */
export function findWebDist(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return resolve('dist', 'web');
}

export function registerWebApp(app: OpenAPIHono<AppEnv>, distDir: string): void {
  const root = resolve(distDir);
  app.use('*', async (c, next) => {
    await next();
    if (c.res.status !== 404 || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) return;
    // The raw path, decoded once here: Hono's c.req.path may already be decoded.
    const path = new URL(c.req.url).pathname;
    if (isServerPath(path)) return;
    const response = await webResponse(root, path);
    if (response) c.res = response;
  });
}

async function webResponse(root: string, path: string): Promise<Response | undefined> {
  const indexFile = join(root, 'index.html');
  // Checked per request, so a build made while the server runs is picked up.
  if (!existsSync(indexFile)) {
    return path === '/'
      ? new Response(notBuiltPage, {
          headers: { 'Content-Type': contentTypes['.html']!, 'Cache-Control': REVALIDATE },
        })
      : undefined;
  }
  const file = await fileUnder(root, path);
  if (file && file !== indexFile) {
    return new Response(new Uint8Array(await readFile(file)), {
      headers: {
        'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  }
  // A missing hashed asset stays a 404: a script must never get HTML.
  if (path.startsWith('/assets/')) return undefined;
  // Every other address is a view of the single-page app, which reads it from the URL.
  return new Response(await readFile(indexFile, 'utf8'), { headers: pageHeaders });
}

/** The file a URL path names under root, if there is one; never anything outside root. */
async function fileUnder(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).some((part) => part.startsWith('.')))
    return undefined;
  const file = resolve(root, `.${decoded}`);
  if (!file.startsWith(root + sep)) return undefined;
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? file : undefined;
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tasks: web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web app is not built yet</h1>
<p>The API is running. To build the web app, run <code>npm run build:web</code> and reload this page
(<code>npm start</code> does it for you when <code>web/</code> is present).</p>
<p>API reference: <a href="/docs">/docs</a> · OpenAPI document: <a href="/openapi.json">/openapi.json</a></p>
</body>
</html>
`;
