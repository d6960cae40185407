import type { REMINDERS_MAX as ServerRemindersMax } from '../../../src/tasks/task';
import type { ReminderInput } from '../api/types';

// A task's reminders as the form offers them (a few times before the due date, or a date and
// time) and in words: "15 minutes before", "At 1 Dec, 09:00".

/** The server's limit; its literal type makes a change there fail this build. */
export const REMINDERS_MAX: typeof ServerRemindersMax = 5;

export const reminderChoices = ['PT0M', 'PT15M', 'PT1H', 'P1D', 'at'] as const;
export type ReminderChoice = (typeof reminderChoices)[number];

export const reminderChoiceLabels: Record<ReminderChoice, string> = {
  PT0M: 'At the due time',
  PT15M: '15 minutes before',
  PT1H: '1 hour before',
  P1D: '1 day before',
  at: 'At a date and time',
};

const durationPattern =
  /^P(?:(\d+)W|(?=\d|T\d)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/;

/** "15 minutes before", "1 day and 2 hours before", "At the due time"; else the text as is. */
export function describeBefore(duration: string): string {
  const match = durationPattern.exec(duration.toUpperCase());
  if (!match) return `${duration} before`;
  const names = ['week', 'day', 'hour', 'minute', 'second'];
  const amounts = match
    .slice(1)
    .map((value, i) => ({ n: Number(value ?? 0), name: names[i] }))
    .filter(({ n }) => n > 0)
    .map(({ n, name }) => `${n} ${name}${n === 1 ? '' : 's'}`);
  if (amounts.length === 0) return 'At the due time';
  const words =
    amounts.length === 1 ? amounts[0] : `${amounts.slice(0, -1).join(', ')} and ${amounts.at(-1)}`;
  return `${words} before`;
}

/** "1 Dec, 09:00", with the year when it is not this one. */
export function formatMoment(iso: string, now = new Date()): string {
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function describeReminder(reminder: ReminderInput, now = new Date()): string {
  return 'at' in reminder
    ? `At ${formatMoment(reminder.at, now)}`
    : describeBefore(reminder.before);
}

/** What the server compares: a reminder without its id. */
export const withoutId = (reminder: ReminderInput): ReminderInput =>
  'at' in reminder ? { at: reminder.at } : { before: reminder.before };

/** The same reminder: the same time, or the same duration (as the server upper-cases it). */
export function sameReminder(a: ReminderInput, b: ReminderInput): boolean {
  if ('at' in a && 'at' in b) return Date.parse(a.at) === Date.parse(b.at);
  if ('before' in a && 'before' in b) return a.before.toUpperCase() === b.before.toUpperCase();
  return false;
}

export function sameReminders(a: readonly ReminderInput[], b: readonly ReminderInput[]): boolean {
  return a.length === b.length && a.every((reminder, i) => sameReminder(reminder, b[i]!));
}

/** A datetime-local value (YYYY-MM-DDTHH:MM, this device's time) as an ISO instant, or null. */
export function fromLocalInput(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The reminder a choice adds; an "at" reminder needs its datetime-local value. */
export function reminderFor(choice: ReminderChoice, localAt: string): ReminderInput | null {
  if (choice !== 'at') return { before: choice };
  const at = fromLocalInput(localAt);
  return at ? { at } : null;
}
