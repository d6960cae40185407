import { Migrator } from '../db/migrator.js';
import { startRemindersFor } from '../reminders/worker.js';
import { migrateOnStart } from '../server.js';
import { CliError, type Command } from './command.js';
import { untilSignal } from './serve-command.js';

// todo worker: the reminder scheduler without the HTTP server, for a deployment that keeps
// background work apart (REMINDERS_IN_SERVER=false on the servers). Any number may run
// against one database, next to the servers: each reminder still fires once.

export const workerCommand: Command = {
  name: 'worker',
  summary: 'fire reminders and send their emails, without serving HTTP (stops on SIGTERM)',
  usage: 'worker   (REMINDER_POLL_MS, SMTP_URL and MAIL_FROM as for serve)',
  async run(ctx) {
    const db = await ctx.open();
    if (ctx.config.MIGRATE_ON_START) await migrateOnStart(ctx.config, ctx.logger, db);
    const { version, pending } = await new Migrator(db).currentVersion();
    if (pending > 0) {
      throw new CliError(
        `the database is at migration ${version} with ${pending} pending: run todo db migrate first`,
      );
    }
    const scheduler = startRemindersFor(ctx.config, db, ctx.logger);
    await untilSignal(async (signal) => {
      ctx.logger.info({ signal }, 'stopping the reminder worker');
      await scheduler.stop();
    });
    return 0;
  },
};
