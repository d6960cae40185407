import { describe, expect, it } from 'vitest';
import {
  describeBefore,
  describeReminder,
  fromLocalInput,
  reminderChoiceLabels,
  reminderChoices,
  reminderFor,
  sameReminders,
  withoutId,
} from './reminder-choices';

describe('reminders in words', () => {
  it.each([
    ['PT0M', 'At the due time'],
    ['P0D', 'At the due time'],
    ['PT15M', '15 minutes before'],
    ['PT1H', '1 hour before'],
    ['PT2H', '2 hours before'],
    ['P1D', '1 day before'],
    ['P1W', '1 week before'],
    ['P1DT2H', '1 day and 2 hours before'],
    ['pt1h30m', '1 hour and 30 minutes before'],
    ['PT45S', '45 seconds before'],
    ['soon', 'soon before'],
  ])('says %s as %j', (duration, words) => {
    expect(describeBefore(duration)).toBe(words);
  });

  it('labels each choice of the form as it describes the reminder it adds', () => {
    for (const choice of reminderChoices.filter((c) => c !== 'at')) {
      expect(describeBefore(choice)).toBe(reminderChoiceLabels[choice]);
    }
  });

  it('says a reminder at a moment with its date and time', () => {
    const text = describeReminder({ at: '2026-12-01T09:05:00.000Z' }, new Date('2026-11-29'));
    expect(text).toMatch(/^At /);
    expect(text).toMatch(/Dec/);
  });
});

describe('reminders the form sends', () => {
  it('reads a datetime-local value as this device’s time', () => {
    const iso = fromLocalInput('2026-12-01T09:30');
    expect(iso).not.toBeNull();
    const date = new Date(iso!);
    expect([date.getFullYear(), date.getMonth(), date.getDate()]).toEqual([2026, 11, 1]);
    expect([date.getHours(), date.getMinutes()]).toEqual([9, 30]);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2026-12-01')).toBeNull();
  });

  it('makes the reminder of a choice', () => {
    expect(reminderFor('PT15M', '')).toEqual({ before: 'PT15M' });
    expect(reminderFor('at', '')).toBeNull();
    expect(reminderFor('at', '2026-12-01T09:30')).toEqual({
      at: fromLocalInput('2026-12-01T09:30'),
    });
  });

  it('compares reminders as the server does: without ids, times as instants', () => {
    const stored = [
      { id: 'a1', before: 'PT15M' },
      { id: 'b2', at: '2026-12-01T09:00:00.000Z' },
    ];
    expect(
      sameReminders(stored.map(withoutId), [{ before: 'pt15m' }, { at: '2026-12-01T09:00:00Z' }]),
    ).toBe(true);
    expect(sameReminders(stored.map(withoutId), [{ before: 'PT15M' }])).toBe(false);
    expect(withoutId(stored[0]!)).toEqual({ before: 'PT15M' });
  });
});
