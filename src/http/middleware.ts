import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import { AppError } from '../errors.js';
import { type Logger, withLogContext } from '../logger.js';
import type { AppEnv } from './context.js';

export const MAX_BODY_BYTES = 64 * 1024;

/** Accepts a sane X-Request-Id or makes one; echoed in the response and every log line. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const given = c.req.header('x-request-id');
  const id = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
  c.set('requestId', id);
  c.header('X-Request-Id', id);
  // Every line logged while serving it carries the id, Better Auth's own lines included.
  await withLogContext({ request_id: id }, next);
};

/** The route pattern a request matched ("/api/tasks/:id"), for logs and metric labels. */
export function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const path = routePath(c, -1);
  return !path || path === '*' || path.endsWith('/*')
    ? c.res.status === 404
      ? 'unmatched'
      : path || 'unmatched'
    : path;
}

/** One line per request: method, route pattern, status, duration, request id. Never headers. */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const line = {
      request_id: c.get('requestId'),
      method: c.req.method,
      route: routeOf(c),
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  };
}

/** Requests that carry a body must say it is JSON (415). */
export const jsonBodyGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return next();
  const length = Number(c.req.header('content-length') ?? 'NaN');
  const hasBody = c.req.header('transfer-encoding') !== undefined || length > 0;
  const toggle = method === 'PATCH' && c.req.path.endsWith('/complete');
  if (!hasBody && toggle) return next();
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new AppError(
      'unsupported_media_type',
      'Send the body as JSON with Content-Type: application/json.',
    );
  }
  return next();
};

const tooLarge = () => new AppError('payload_too_large', 'The request body is larger than 64 KiB.');
const chunkedBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw tooLarge();
  },
});

/**
 * 413 for a body over 64 KiB. A declared Content-Length is checked before anything is read;
 * only a body of undeclared length is counted as it streams (hono's bodyLimit), because
 * reading the raw body makes the node adapter build a full Request for every request.
 */
export const bodySizeGuard: MiddlewareHandler<AppEnv> = (c, next) => {
  const declared = c.req.header('content-length');
  if (declared !== undefined) {
    if (Number(declared) > MAX_BODY_BYTES) throw tooLarge();
    return next();
  }
  const method = c.req.method;
  const undeclared =
    c.req.header('transfer-encoding') !== undefined || (method !== 'GET' && method !== 'HEAD');
  return undeclared ? chunkedBodyLimit(c, next) : next();
};
