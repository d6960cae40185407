import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser, taskFields } from '../../test/support/factories.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database } from '../db/database.js';
import { reminderOf } from './reminders.js';
import { TaskRepository } from './repository.js';

// Recurrence and reminder times in the database, the same on the PostgreSQL server and on
// PGlite (the embedded database `npm start` runs on): a completion moves the task on in the
// owner's zone, and a reminder's time counts days on the owner's calendar.

describe.each(['server', 'embedded'] as const)('recurring tasks on %s', (kind) => {
  let close: () => Promise<void>;
  let db: Database;
  let tasks: TaskRepository;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    tasks = new TaskRepository(db);
  });
  afterAll(() => close());

  const userIn = async (zone: string) => {
    const user = await insertUser(db);
    await db.query('UPDATE users SET timezone = $2 WHERE id = $1', [user, zone]);
    return user;
  };
  const fireTime = async (reminder: object, due: string, zone: string) => {
    const [row] = await db.query<{ at: Date }>(
      'SELECT reminder_time($1::jsonb, $2::timestamptz, $3) AS at',
      [JSON.stringify(reminder), due, zone],
    );
    return row!.at.toISOString();
  };

  it('moves a daily 09:00 Berlin task across the spring change to 09:00 summer time', async () => {
    const user = await userIn('Europe/Berlin');
    const task = await tasks.create(
      user,
      taskFields({ dueDate: new Date('2026-03-28T08:00:00Z'), recurrence: 'FREQ=DAILY' }),
    );
    const moved = await tasks.toggle(user, task.id);
    expect(moved).toMatchObject({ status: 'pending', occurrence: 2, version: 2 });
    expect(moved!.dueDate!.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(moved!.recurrenceAnchor!.toISOString()).toBe('2026-03-28T08:00:00.000Z');
    const completions = await tasks.completions(user, task.id, 10);
    expect(completions.map((c) => c.dueDate.toISOString())).toEqual(['2026-03-28T08:00:00.000Z']);
  });

  it('completes the last occurrence of a COUNT for good, and records it', async () => {
    const user = await userIn('America/New_York');
    const task = await tasks.create(
      user,
      taskFields({ dueDate: new Date('2026-10-31T13:00:00Z'), recurrence: 'FREQ=DAILY;COUNT=2' }),
    );
    const second = await tasks.toggle(user, task.id);
    // 09:00 in New York on both sides of the November change: 13:00Z, then 14:00Z.
    expect(second!.dueDate!.toISOString()).toBe('2026-11-01T14:00:00.000Z');
    const last = await tasks.toggle(user, task.id);
    expect(last).toMatchObject({ status: 'completed', occurrence: 2 });
    expect(await tasks.completions(user, task.id, 10)).toHaveLength(2);
  });

  it('puts a day-before reminder at the same local time across a change, an hour-before one an hour earlier', async () => {
    // 09:00 summer time on the Sunday the clocks went forward in Berlin.
    expect(await fireTime({ before: 'P1D' }, '2026-03-29T07:00:00Z', 'Europe/Berlin')).toBe(
      '2026-03-28T08:00:00.000Z',
    );
    expect(await fireTime({ before: 'PT1H' }, '2026-03-29T07:00:00Z', 'Europe/Berlin')).toBe(
      '2026-03-29T06:00:00.000Z',
    );
    expect(await fireTime({ before: 'P1DT30M' }, '2026-03-29T07:00:00Z', 'Asia/Kolkata')).toBe(
      '2026-03-28T06:30:00.000Z',
    );
  });

  it('arms a reminder ahead, disarms it when removed, and never arms one already past', async () => {
    const user = await userIn('UTC');
    const soon = reminderOf({ at: new Date(Date.now() + 60_000) });
    const past = reminderOf({ at: new Date(Date.now() - 60_000) });
    const task = await tasks.create(user, taskFields({ reminders: [soon, past] }));
    const queued = () =>
      db.query<{ reminder_id: string }>(
        'SELECT reminder_id FROM reminder_queue WHERE task_id = $1',
        [task.id],
      );
    expect((await queued()).map((r) => r.reminder_id)).toEqual([soon.id]);
    await tasks.update(user, task.id, { reminders: [past] });
    expect(await queued()).toEqual([]);
  });
});
