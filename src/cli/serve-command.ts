import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { openDatabase, waitForDatabase } from '../db/open-database.js';
import { migrateOnStart, startServer } from '../server.js';
import { type CliContext, CliError, type Command, intOption } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP server (migrates first unless MIGRATE_ON_START=false)',
  usage: `serve [--workers N]   (N processes share the port; default 1, at most ${availableParallelism() * 2})`,
  options: { workers: { type: 'string', short: 'w' } },
  async run(ctx, values) {
    const workers = cluster.isPrimary ? (intOption(values.workers, 'workers', 1) ?? 1) : 1;
    if (workers > availableParallelism() * 2) {
      throw new CliError(
        `--workers ${workers} is more than twice the ${availableParallelism()} cores`,
      );
    }
    if (workers > 1) {
      if (!ctx.config.DATABASE_URL) {
        throw new CliError(
          '--workers needs DATABASE_URL: the embedded database can be opened by one process only',
        );
      }
      return runPrimary(ctx, workers);
    }
    const server = await startServer(ctx.config, ctx.logger);
    await untilSignal((signal) => {
      ctx.logger.info({ signal }, 'shutting down');
      return server.close();
    });
    // A worker's IPC channel to the primary would keep it alive.
    if (cluster.isWorker) cluster.worker?.disconnect();
    return 0;
  },
};

/** Migrates once, then forks the workers; restarts one that dies, stops all on a signal. */
async function runPrimary(ctx: CliContext, workers: number) {
  if (ctx.config.MIGRATE_ON_START) {
    const db = await openDatabase(ctx.config, { logger: ctx.logger, poolMax: 1 });
    try {
      await waitForDatabase(db, ctx.config.DB_CONNECT_RETRIES, ctx.logger);
      await migrateOnStart(ctx.config, ctx.logger, db);
    } finally {
      await db.close();
    }
  }
  let stopping = false;
  const fork = () => cluster.fork({ MIGRATE_ON_START: 'false' });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    ctx.logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(fork, 1_000).unref();
  });
  for (let i = 0; i < workers; i++) fork();
  ctx.logger.info({ workers }, 'started workers');
  await untilSignal(async (signal) => {
    stopping = true;
    ctx.logger.info({ signal }, 'stopping workers');
    const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(
      alive.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  });
  return 0;
}

/** Resolves once SIGTERM or SIGINT came and onSignal finished. */
export function untilSignal(onSignal: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      onSignal(signal).then(resolve, resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
