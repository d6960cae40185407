import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { fail } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './context.js';
import { accessLog, apiResponseHeaders, bodySizeGuard, requestId } from './middleware.js';
import { fieldErrors, problemFor, problemResponse } from './problem.js';
import { findWebDist, registerWebApp } from './web-app.js';

export interface HttpAppOptions {
  logger: Logger;
  /** Runs around every request after the request id is set (metrics). */
  observe?: MiddlewareHandler<AppEnv>;
  /** Origins that get CORS headers, credentials included. */
  corsOrigins: readonly string[];
}

const exposedHeaders = ['ETag', 'Location', 'Link', 'X-Next-Cursor', 'X-Request-Id', 'Retry-After'];

/**
 * The HTTP plumbing every route shares, before any route exists: request ids, the access
 * log, problem+json for every error and unknown route, the /api response headers, CORS and
 * the body size limit, and the web app for GETs nothing else answers.
 */
export function createHttpApp({ logger, observe, corsOrigins }: HttpAppOptions) {
  const app = new OpenAPIHono<AppEnv>({
    // A body that breaks its schema is 422; a bad query, path parameter or header is 400.
    defaultHook: (result, c) => {
      if (result.success) return;
      const errors = fieldErrors(result.error.issues);
      return problemResponse(
        c as Context<AppEnv>,
        result.target === 'json'
          ? fail.validationFailed(errors)
          : fail.badRequest(`The ${result.target} is not valid.`, errors),
      );
    },
  });

  app.use('*', requestId, accessLog(logger));
  if (observe) app.use('*', observe);
  // The web app answers GETs that nothing else did (a 404 fallback, not a route), so routes
  // keep their own labels in logs and metrics, and /api 404s stay problem+json.
  registerWebApp(app, findWebDist());
  app.onError((error, c) => problemFor(error, c, logger));
  app.notFound((c) =>
    problemResponse(c, fail.notFound(`No route for ${c.req.method} ${c.req.path}.`)),
  );

  app.use('/api/*', apiResponseHeaders);
  const corsForAllowedOrigins = cors({
    origin: (origin) => origin,
    credentials: true,
    exposeHeaders: exposedHeaders,
    allowHeaders: ['Content-Type', 'Authorization', 'If-Match', 'Idempotency-Key', 'X-Request-Id'],
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    maxAge: 600,
  });
  app.use('/api/*', (c, next) => {
    const origin = c.req.header('origin');
    return origin && corsOrigins.includes(origin) ? corsForAllowedOrigins(c, next) : next();
  });
  app.use('/api/*', bodySizeGuard);
  return app;
}

export type HttpApp = ReturnType<typeof createHttpApp>;
