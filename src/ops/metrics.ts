import type { MiddlewareHandler } from 'hono';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { DatabaseObserver } from '../db/observer.js';
import type { AppEnv } from '../http/context.js';
import { routeOf } from '../http/middleware.js';

// Prometheus metrics: requests by route pattern and status, pool, database errors, failed
// connects, migration version. One registry per app, so tests can build several.

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly dbErrors = new Counter({
    name: 'db_errors_total',
    help: 'Statements that failed with a database error',
    registers: [this.registry],
  });
  readonly dbConnectFailures = new Counter({
    name: 'db_connect_failures_total',
    help: 'Failures to reach the database (refused, timed out, terminated)',
    registers: [this.registry],
  });
  readonly dbQueryDuration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Time from sending a statement to its last row',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly migrationVersion = new Gauge({
    name: 'db_migration_version',
    help: 'Newest applied migration version',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Hooks for the database layer (it knows nothing of Prometheus). */
  readonly dbObserver: DatabaseObserver = {
    onQuery: (ms) => this.dbQueryDuration.observe(ms / 1000),
    onError: () => this.dbErrors.inc(),
    onConnectError: () => this.dbConnectFailures.inc(),
  };

  /** Pool gauges read at scrape time. */
  watchPool(db: Database): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('db_pool_total', 'Connections open in the pool', () => db.poolStats().total);
    gauge('db_pool_idle', 'Idle connections in the pool', () => db.poolStats().idle);
    gauge('db_pool_waiting', 'Requests waiting for a connection', () => db.poolStats().waiting);
  }

  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const started = performance.now();
      await next();
      const labels = { method: c.req.method, route: routeOf(c), status: String(c.res.status) };
      this.requests.inc(labels);
      this.duration.observe(labels, (performance.now() - started) / 1000);
    };
  }
}
