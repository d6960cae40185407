import { Hono } from 'hono';
import type { Database } from '../db/database.js';
import type { Migrator } from '../db/migrator.js';
import { asAppError, fail, RETRY_AFTER_SECONDS } from '../errors.js';
import type { Metrics } from './metrics.js';

const retryLater = { 'Retry-After': String(RETRY_AFTER_SECONDS) };

export interface OpsRoutesDeps {
  db: Database;
  migrator: Migrator;
  metrics: Metrics;
  /** When set, /metrics wants it as a bearer token. */
  metricsToken?: string;
}

/**
 * /healthz: the process answers. /readyz: the database answers and no migration is pending.
 * /metrics: Prometheus text.
 */
export function opsRoutes({ db, migrator, metrics, metricsToken }: OpsRoutesDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    let current: Awaited<ReturnType<Migrator['currentVersion']>>;
    try {
      current = await migrator.currentVersion();
    } catch (error) {
      // Any other failure is a fault of ours: a 500, logged by the error handler.
      if (asAppError(error).code !== 'database_unavailable') throw error;
      return c.json({ status: 'database unavailable' }, 503, retryLater);
    }
    const { version, pending } = current;
    if (pending > 0) {
      return c.json({ status: 'migrations pending', version, pending }, 503, retryLater);
    }
    return c.json({ status: 'ready', database: db.kind, version });
  });
  app.get('/metrics', async (c) => {
    if (metricsToken && c.req.header('authorization') !== `Bearer ${metricsToken}`) {
      throw fail.unauthorized('Send the metrics token as a bearer token.');
    }
    return c.body(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });
  return app;
}
