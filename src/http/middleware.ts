import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import { fail } from '../errors.js';
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
  // Actions that take no body: completing or skipping a task, accepting an invitation,
  // reading notifications.
  const action =
    (method === 'PATCH' && c.req.path.endsWith('/complete')) ||
    (method === 'POST' && /\/(accept|skip|read|read-all)$/.test(c.req.path));
  if (!hasBody && action) return next();
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw fail.unsupportedMediaType();
  }
  return next();
};

const chunkedBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw fail.payloadTooLarge();
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
    if (Number(declared) > MAX_BODY_BYTES) throw fail.payloadTooLarge();
    return next();
  }
  const method = c.req.method;
  const undeclared =
    c.req.header('transfer-encoding') !== undefined || (method !== 'GET' && method !== 'HEAD');
  return undeclared ? chunkedBodyLimit(c, next) : next();
};

/**
 * Every /api answer, errors and Better Auth's included, is private to its caller and typed by
 * its Content-Type: no cache (shared or browser) may keep it, and no browser may sniff it.
 */
export const apiResponseHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
};

const WINDOW_MS = 60_000;

/**
 * Counts each user's writes in fixed one-minute windows, in this process's memory: no
 * database round trip on the hot path (docs/decisions/0005). With N processes a user may make
 * N times the limit.
 */
export class WriteRateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  #lastSweep: number;

  constructor(
    readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#lastSweep = now();
  }

  /** Counts one write; when over the limit, the seconds until the user's window ends. */
  take(userId: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.now();
    this.#sweep(now);
    let window = this.#windows.get(userId);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      this.#windows.set(userId, window);
    }
    if (window.count >= this.limitPerMinute) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)),
      };
    }
    window.count++;
    return { allowed: true };
  }

  /** Users being counted (for tests: ended windows are forgotten). */
  get size(): number {
    return this.#windows.size;
  }

  // Ended windows are dropped once a minute, so memory follows the users active lately.
  #sweep(now: number): void {
    if (now - this.#lastSweep < WINDOW_MS) return;
    this.#lastSweep = now;
    for (const [userId, window] of this.#windows) {
      if (now - window.start >= WINDOW_MS) this.#windows.delete(userId);
    }
  }
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** 429 with Retry-After once a user has made limiter.limitPerMinute writes this minute. */
export function writeRateLimit(limiter: WriteRateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!writeMethods.has(c.req.method)) return next();
    const verdict = limiter.take(c.get('user').id);
    if (!verdict.allowed) {
      throw fail.rateLimited(
        `Too many changes: at most ${limiter.limitPerMinute} per minute.`,
        verdict.retryAfterSeconds,
      );
    }
    return next();
  };
}
