import { createHash } from 'node:crypto';
import type { Reminder } from './task.js';

// A reminder's id says what it is: the same reminder sent again (a PUT of the whole task, an
// edit that keeps it) keeps its id, so it neither fires twice nor loses its place in the queue.

export function reminderOf(input: { at: Date } | { before: string }): Reminder {
  const key = 'at' in input ? `at:${input.at.toISOString()}` : `before:${input.before}`;
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 10);
  return 'at' in input ? { id, at: input.at } : { id, before: input.before };
}

/** As stored in the task's reminders column and written in its JSON. */
export type StoredReminder = { id: string; at: string } | { id: string; before: string };

export const storedReminder = (reminder: Reminder): StoredReminder =>
  'at' in reminder
    ? { id: reminder.id, at: reminder.at.toISOString() }
    : { id: reminder.id, before: reminder.before };

export const reminderFromStored = (stored: StoredReminder): Reminder =>
  'at' in stored ? { id: stored.id, at: new Date(stored.at) } : stored;
