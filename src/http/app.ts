import { Hono } from 'hono';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Migrator } from '../db/migrator.js';
import type { Logger } from '../logger.js';
import { healthRoutes } from '../ops/health.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  migrator: Migrator;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.route('/', healthRoutes(deps));
  return app;
}
