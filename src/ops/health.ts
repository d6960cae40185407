import { Hono } from 'hono';
import type { Database } from '../db/database.js';
import type { Migrator } from '../db/migrator.js';

export interface HealthDeps {
  db: Database;
  migrator: Migrator;
}

/** /healthz: the process answers. /readyz: the database answers and no migration is pending. */
export function healthRoutes({ db, migrator }: HealthDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      const { version, pending } = await migrator.currentVersion();
      if (pending > 0) {
        return c.json({ status: 'migrations pending', version, pending }, 503, {
          'Retry-After': '5',
        });
      }
      return c.json({ status: 'ready', database: db.kind, version });
    } catch {
      return c.json({ status: 'database unavailable' }, 503, { 'Retry-After': '5' });
    }
  });
  return app;
}
