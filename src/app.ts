import type { JSONWebKeySet } from 'jose';
import { registerAccountHandlers } from './account/handlers.js';
import { Reauthentication } from './account/reauthentication.js';
import { AccountRepository } from './account/repository.js';
import { createAuth, publicBaseUrl } from './auth/auth.js';
import { registerAuthRoutes } from './auth/auth-routes.js';
import { JwtVerifier } from './auth/jwt-verifier.js';
import { requireUser } from './auth/middleware.js';
import { SignInLimiter } from './auth/sign-in-limiter.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { Migrator } from './db/migrator.js';
import { registerApiReference } from './http/api-reference.js';
import { createHttpApp, type HttpApp } from './http/http-app.js';
import { jsonBodyGuard, WriteRateLimiter, writeRateLimit } from './http/middleware.js';
import { buildOpenApiDocument, type ForeignDocument } from './http/openapi.js';
import { registerListHandlers } from './lists/handlers.js';
import { ListRepository } from './lists/repository.js';
import type { Logger } from './logger.js';
import { registerNotificationHandlers } from './notifications/handlers.js';
import { NotificationRepository } from './notifications/repository.js';
import { Metrics } from './ops/metrics.js';
import { opsRoutes } from './ops/ops-routes.js';
import { registerSharingHandlers } from './sharing/handlers.js';
import { SharingRepository } from './sharing/repository.js';
import { registerTaskHandlers } from './tasks/handlers.js';
import { TaskRepository } from './tasks/repository.js';
import { taskBases } from './tasks/routes.js';
import { requireOwnUserPath } from './tasks/user-path.js';

// The composition root: every part of the application is built and wired here, once.

/** The whole application over an open database. */
export function buildApp(
  config: Config,
  logger: Logger,
  db: Database,
  metrics = new Metrics(),
): HttpApp {
  const signInLimiter = new SignInLimiter(db);
  const auth = createAuth(config, db, logger, signInLimiter);
  const baseURL = publicBaseUrl(config);
  const jwt = new JwtVerifier({
    loadOwnKeys: async () => (await auth.api.getJwks()) as JSONWebKeySet,
    issuer: baseURL,
    audience: baseURL,
    externalJwksUrl: config.AUTH_JWKS_URL,
    externalIssuer: config.AUTH_JWT_ISSUER,
    externalAudience: config.AUTH_JWT_AUDIENCE,
    externalMaxLifetimeSeconds: config.JWT_TTL_SECONDS,
  });
  const tasks = new TaskRepository(db, { maxTasksPerUser: config.MAX_TASKS_PER_USER });
  const lists = new ListRepository(db);
  const sharing = new SharingRepository(db);
  const accounts = new AccountRepository(db);
  const reauthentication = new Reauthentication({
    auth,
    db,
    limiter: signInLimiter,
    logger,
    trustProxy: config.TRUST_PROXY,
  });
  metrics.watchPool(db);

  const app = createHttpApp({
    logger,
    observe: metrics.middleware(),
    corsOrigins: config.CORS_ORIGINS,
  });
  app.route(
    '/',
    opsRoutes({ db, migrator: new Migrator(db), metrics, metricsToken: config.METRICS_TOKEN }),
  );
  registerAuthRoutes(app, { auth, config, logger });

  const authenticated = requireUser(auth, jwt, { logger, trustProxy: config.TRUST_PROXY });
  const writeLimit = config.API_WRITE_LIMIT_PER_MINUTE
    ? writeRateLimit(new WriteRateLimiter(config.API_WRITE_LIMIT_PER_MINUTE))
    : undefined;
  // Hono's "/x/*" also matches "/x": one registration per family, so nothing runs twice.
  for (const path of [
    '/api/tasks/*',
    '/api/lists/*',
    '/api/invitations/*',
    '/api/me/*',
    '/api/notifications/*',
    '/api/:user_id/tasks/*',
  ]) {
    app.use(path, authenticated, jsonBodyGuard);
    if (writeLimit) app.use(path, writeLimit);
  }
  app.use('/api/:user_id/tasks/*', requireOwnUserPath);
  registerAccountHandlers(app, accounts, tasks, lists, sharing, reauthentication);
  registerListHandlers(app, lists);
  registerSharingHandlers(app, sharing, baseURL);
  for (const base of taskBases) registerTaskHandlers(app, base, tasks);
  registerNotificationHandlers(app, new NotificationRepository(db));

  let document: Promise<object> | undefined;
  app.get('/openapi.json', async (c) => {
    document ??= buildOpenApiDocument(
      app,
      async () => (await auth.api.generateOpenAPISchema()) as ForeignDocument,
    );
    return c.json(await document);
  });
  registerApiReference(app);
  return app;
}
