import { publicBaseUrl } from '../auth/auth.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createReminderMailer } from './email.js';
import { type ReminderScheduler, startReminderScheduler } from './scheduler.js';

/** The reminder scheduler as the configuration asks for it: email when SMTP_URL is set. */
export function startRemindersFor(config: Config, db: Database, logger: Logger): ReminderScheduler {
  const base = publicBaseUrl(config);
  const scheduler = startReminderScheduler(db, logger, {
    pollMs: config.REMINDER_POLL_MS,
    ...(config.SMTP_URL
      ? {
          email: {
            mailer: createReminderMailer(config.SMTP_URL, config.MAIL_FROM),
            // The web app opens a list by ?list=; the task is in it.
            taskUrl: (_taskId, listId) => `${base}/?list=${listId}`,
          },
        }
      : {}),
  });
  logger.info(
    { pollMs: config.REMINDER_POLL_MS, email: config.SMTP_URL !== undefined },
    'reminders scheduled',
  );
  return scheduler;
}
