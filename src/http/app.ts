import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { registerAccountHandlers } from '../account/handlers.js';
import { Reauthentication } from '../account/reauthentication.js';
import { AccountRepository } from '../account/repository.js';
import { type Auth, CLIENT_IP_HEADER } from '../auth/auth.js';
import { clientAddress } from '../auth/client-address.js';
import { handleAuthRequest } from '../auth/handle-auth-request.js';
import type { JwtVerifier } from '../auth/jwt-verifier.js';
import { requireUser } from '../auth/middleware.js';
import { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { Config } from '../config.js';
import { type Database, isDatabaseUnavailable } from '../db/database.js';
import type { Migrator } from '../db/migrator.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { healthRoutes } from '../ops/health.js';
import type { Metrics } from '../ops/metrics.js';
import { registerTaskHandlers } from '../tasks/handlers.js';
import { TaskRepository } from '../tasks/repository.js';
import { taskBases } from '../tasks/routes.js';
import { registerApiReference } from './api-reference.js';
import type { AppEnv } from './context.js';
import {
  accessLog,
  apiResponseHeaders,
  bodySizeGuard,
  jsonBodyGuard,
  requestId,
  WriteRateLimiter,
  writeRateLimit,
} from './middleware.js';
import { buildOpenApiDocument } from './openapi.js';
import { fieldErrors, problemResponse, RETRY_AFTER_SECONDS, toAppError } from './problem.js';
import { findWebDist, registerWebApp } from './web-app.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  migrator: Migrator;
  auth: Auth;
  jwt: JwtVerifier;
  metrics: Metrics;
}

const exposedHeaders = ['ETag', 'Location', 'Link', 'X-Next-Cursor', 'X-Request-Id', 'Retry-After'];

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { config, logger, db, auth, metrics } = deps;
  const app = new OpenAPIHono<AppEnv>({
    // A body that breaks its schema is 422; a bad query, path parameter or header is 400.
    defaultHook: (result, c) => {
      if (result.success) return;
      const code = result.target === 'json' ? 'validation_failed' : 'bad_request';
      const message =
        code === 'validation_failed'
          ? 'The request body is not valid.'
          : `The ${result.target} is not valid.`;
      return problemResponse(
        c as Context<AppEnv>,
        new AppError(code, message, { errors: fieldErrors(result.error.issues) }),
      );
    },
  });

  app.use('*', requestId, accessLog(logger), metrics.middleware());
  // The web app answers GETs that nothing else did (a 404 fallback, not a route), so routes
  // keep their own labels in logs and metrics, and /api 404s stay problem+json.
  registerWebApp(app, findWebDist());
  app.onError((error, c) => problemResponse(c, toAppError(error, c, logger)));
  app.notFound((c) =>
    problemResponse(c, new AppError('not_found', `No route for ${c.req.method} ${c.req.path}.`)),
  );

  app.use('/api/*', apiResponseHeaders);
  // CORS headers, credentials included, only for the origins in CORS_ORIGINS.
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
    return origin && config.CORS_ORIGINS.includes(origin) ? corsForAllowedOrigins(c, next) : next();
  });
  app.use('/api/*', bodySizeGuard);

  app.route('/', healthRoutes(deps));
  app.get('/metrics', async (c) => {
    if (
      config.METRICS_TOKEN &&
      c.req.header('authorization') !== `Bearer ${config.METRICS_TOKEN}`
    ) {
      throw new AppError('unauthorized', 'Send the metrics token as a bearer token.');
    }
    return c.body(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });

  // Better Auth answers /api/auth/* in its own JSON shape; we add the client address it
  // rate-limits by, Retry-After on its 429s, and 503 when its database is down.
  app.on(['GET', 'POST'], '/api/auth/*', async (c) => {
    const request = c.req.raw;
    const clientIp = clientAddress(c, config.TRUST_PROXY);
    request.headers.set(CLIENT_IP_HEADER, clientIp);
    let response: Response;
    try {
      response = await handleAuthRequest(
        auth,
        request,
        { requestId: c.get('requestId'), clientAddress: clientIp },
        logger,
      );
    } catch (error) {
      // From the error itself: a second look could find the database back and say 500.
      const unavailable = isDatabaseUnavailable(error);
      // Log the kind of failure only: driver messages here carry query parameters (emails).
      const { name, code } = error as { name?: string; code?: string };
      (unavailable ? logger.warn : logger.error).call(
        logger,
        { request_id: c.get('requestId'), error: { name, code } },
        'auth request failed',
      );
      return unavailable
        ? c.json(
            {
              code: 'SERVICE_UNAVAILABLE',
              message: 'The database is unavailable; try again shortly.',
            },
            503,
            {
              'Retry-After': String(RETRY_AFTER_SECONDS),
            },
          )
        : c.json(
            {
              code: 'INTERNAL_SERVER_ERROR',
              message: 'Something went wrong on our side; it has been logged.',
            },
            500,
          );
    }
    // Better Auth's responses may have immutable headers: copy them to add ours.
    const headers = new Headers(response.headers);
    headers.set('X-Request-Id', c.get('requestId'));
    if (response.status === 429 && !headers.has('Retry-After')) {
      headers.set(
        'Retry-After',
        headers.get('X-Retry-After') ?? String(config.AUTH_RATE_LIMIT_WINDOW_SECONDS),
      );
    }
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  });

  const tasks = new TaskRepository(db, { maxTasksPerUser: config.MAX_TASKS_PER_USER });
  const accounts = new AccountRepository(db);
  const authenticated = requireUser(auth, deps.jwt, { logger, trustProxy: config.TRUST_PROXY });
  const writeLimit = config.API_WRITE_LIMIT_PER_MINUTE
    ? writeRateLimit(new WriteRateLimiter(config.API_WRITE_LIMIT_PER_MINUTE))
    : undefined;
  // Hono's "/x/*" also matches "/x": one registration per family, so nothing runs twice.
  for (const path of ['/api/tasks/*', '/api/me/*', '/api/:user_id/tasks/*']) {
    app.use(path, authenticated, jsonBodyGuard);
    if (writeLimit) app.use(path, writeLimit);
  }
  // The original front end's paths name the user: only the caller's own id is allowed.
  app.use('/api/:user_id/tasks/*', async (c, next) => {
    if (c.req.param('user_id') !== c.get('user').id) {
      throw new AppError('forbidden', 'The user in the path is not the signed-in user.');
    }
    await next();
  });
  const reauthentication = new Reauthentication({
    auth,
    db,
    limiter: new SignInLimiter(db),
    logger,
    trustProxy: config.TRUST_PROXY,
  });
  registerAccountHandlers(app, accounts, tasks, reauthentication);
  for (const base of taskBases) registerTaskHandlers(app, base, tasks);

  let document: Promise<object> | undefined;
  app.get('/openapi.json', async (c) => {
    document ??= buildOpenApiDocument(app, auth);
    return c.json(await document);
  });
  registerApiReference(app);
  return app;
}
