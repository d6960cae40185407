import type { Database, Row } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { ReminderMailer } from './email.js';

// The reminder scheduler: a loop in every server process (and in `todo worker`) that fires
// due reminders through one statement of the database (reminders_fire: FOR UPDATE SKIP
// LOCKED, so processes never take the same reminder, and each fires exactly once), and, when
// the server sends email, a second loop that delivers the emails those notifications want.
// The two loops are apart so that a slow or failing mail server never holds reminders up;
// neither ever holds a request up (they use the pool like any request, one statement at a time).

export interface ReminderSchedulerOptions {
  /** How often to look for due reminders (and mail to send). */
  pollMs: number;
  /** Reminders fired per statement; a backlog drains in statements of this many. */
  batchSize?: number;
  /** Reminder emails: who sends them, and the web app's link to a task; none: notifications only. */
  email?: ReminderEmail;
  /** First retry of a failed email after this long, doubling each time (up to an hour). */
  retryBaseMs?: number;
  /** Tries of one email before it is given up. */
  maxEmailAttempts?: number;
}

export interface ReminderScheduler {
  /** Fires every reminder due now; how many it took off the queue. */
  fireDue(): Promise<number>;
  /** Sends the emails due now; how many it tried. */
  deliverDue(): Promise<number>;
  stop(): Promise<void>;
}

export interface ReminderEmail {
  mailer: ReminderMailer;
  /** Absolute link to a task (in its list) in the web app. */
  taskUrl: (taskId: number, listId: number) => string;
}

interface EmailRow extends Row {
  id: string;
  email: string;
  name: string;
  timezone: string;
  task_id: string;
  list_id: string;
  title: string;
  due_date: Date | null;
  fire_at: Date;
  late: boolean;
  attempts: number;
}

const HOUR_MS = 3_600_000;
// An email being sent is not taken by another process for this long (more than a send's timeout).
const EMAIL_LEASE = '5 minutes';

export function startReminderScheduler(
  db: Database,
  logger: Logger,
  options: ReminderSchedulerOptions,
): ReminderScheduler {
  const batchSize = options.batchSize ?? 500;
  const retryBaseMs = options.retryBaseMs ?? 30_000;
  const maxAttempts = options.maxEmailAttempts ?? 8;
  const email = options.email;
  let stopped = false;

  async function fireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const [row] = await db.query<{ fired: number }>(
        'SELECT reminders_fire($1, $2) AS fired',
        [batchSize, email !== undefined],
        { name: 'reminders_fire' },
      );
      const fired = Number(row?.fired ?? 0);
      total += fired;
      if (fired < batchSize || stopped) return total;
    }
  }

  async function deliverDue(): Promise<number> {
    if (!email) return 0;
    const rows = await db.query<EmailRow>(
      'SELECT * FROM notification_email_claim($1, $2::interval)',
      [50, EMAIL_LEASE],
      { name: 'notification_email_claim' },
    );
    await Promise.all(rows.map((row) => deliver(email, row)));
    return rows.length;
  }

  /** One statement text for both outcomes: a prepared name stands for one text. */
  const markEmail = (id: string, sent: boolean, retryAt: Date | null) =>
    db.query('SELECT notification_email_done($1, $2, $3)', [id, sent, retryAt], {
      name: 'notification_email_done',
    });

  async function deliver({ mailer, taskUrl }: ReminderEmail, row: EmailRow): Promise<void> {
    try {
      await mailer.send({
        to: row.email,
        name: row.name,
        title: row.title,
        dueDate: row.due_date,
        fireAt: row.fire_at,
        late: row.late,
        timeZone: row.timezone,
        taskUrl: taskUrl(Number(row.task_id), Number(row.list_id)),
      });
      await markEmail(row.id, true, null);
    } catch (error) {
      const permanent = (error as { permanent?: boolean }).permanent === true;
      const giveUp = permanent || row.attempts >= maxAttempts;
      const retryAt = giveUp
        ? null
        : new Date(Date.now() + Math.min(retryBaseMs * 2 ** (row.attempts - 1), HOUR_MS));
      // The error's message names no address or credential (the mailer sees to that).
      logger.warn(
        { notification: Number(row.id), attempt: row.attempts, reason: (error as Error).message },
        giveUp ? 'reminder email given up' : 'reminder email failed; will retry',
      );
      // Should this fail, the lease runs out and another try comes anyway.
      await markEmail(row.id, false, retryAt).catch(() => undefined);
    }
  }

  /** Runs `work` every pollMs, never two at once; a failure is logged and tried again. */
  function loop(name: string, work: () => Promise<number>): { done: Promise<void> } {
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const done = (async () => {
      while (!stopped) {
        try {
          const count = await work();
          if (count > 0) logger.debug({ count }, name);
        } catch (error) {
          logger.warn({ reason: (error as Error).message }, `${name} failed; will retry`);
        }
        if (stopped) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, options.pollMs);
        });
      }
    })();
    stops.push(() => {
      clearTimeout(timer);
      wake?.();
    });
    return { done };
  }

  const stops: (() => void)[] = [];
  const running = [loop('reminders fired', fireDue).done];
  if (email) running.push(loop('reminder emails sent', deliverDue).done);

  return {
    fireDue,
    deliverDue,
    async stop() {
      stopped = true;
      for (const stop of stops) stop();
      await Promise.all(running);
      email?.mailer.close();
    },
  };
}
