import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';

const HOUR_MS = 60 * 60 * 1000;

/** Deletes Idempotency-Keys older than 24 h once an hour; returns a function that stops it. */
export function scheduleIdempotencyPurge(
  db: Database,
  logger: Logger,
  everyMs = HOUR_MS,
): () => void {
  const purge = async () => {
    try {
      const rows = await db.query<{ deleted: number }>(
        'SELECT idempotency_keys_purge() AS deleted',
      );
      const deleted = Number(rows[0]?.deleted ?? 0);
      if (deleted > 0) logger.info({ deleted }, 'purged expired idempotency keys');
    } catch (error) {
      logger.warn({ reason: (error as Error).message }, 'idempotency key purge failed; will retry');
    }
  };
  const timer = setInterval(purge, everyMs);
  timer.unref(); // never keeps the process alive on its own
  return () => clearInterval(timer);
}
