import { describe, expect, it } from 'vitest';
import type { TaskJson } from '../api/types';
import {
  createInput,
  dueFromInput,
  emptyValues,
  patchInput,
  type TaskFormValues,
  validate,
  valuesFromTask,
} from '../tasks/task-values';

// The schedule fields of the task form (due time, repeat, reminders) to the API's bodies and
// back. Times are this machine's local time, as the form's inputs are.

function task(changes: Partial<TaskJson> = {}): TaskJson {
  return {
    id: 1,
    user_id: 'u1',
    title: 'Water the plants',
    description: null,
    status: 'pending',
    completed: false,
    completed_at: null,
    priority: 'none',
    tags: [],
    due_date: null,
    version: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    list_id: 7,
    parent_id: null,
    position: 'a0',
    subtasks: { total: 0, completed: 0 },
    created_by: 'u1',
    assignee_id: null,
    recurrence: null,
    recurrence_mode: 'fixed',
    next_due_date: null,
    reminders: [],
    ...changes,
  };
}

/** Tuesday 1 December 2026, 09:30 here. */
const tuesdayMorning = dueFromInput('2026-12-01', '09:30')!;
const form = (changes: Partial<TaskFormValues>): TaskFormValues => ({
  ...emptyValues,
  title: 'Water the plants',
  ...changes,
});

describe('the due time', () => {
  it('is the time picked, or the end of the day without one', () => {
    const morning = new Date(tuesdayMorning);
    expect([morning.getDate(), morning.getHours(), morning.getMinutes()]).toEqual([1, 9, 30]);
    const evening = new Date(dueFromInput('2026-12-01')!);
    expect([evening.getHours(), evening.getMinutes()]).toEqual([23, 59]);
  });

  it('reads back into the form', () => {
    const values = valuesFromTask(task({ due_date: tuesdayMorning }));
    expect([values.due, values.time]).toEqual(['2026-12-01', '09:30']);
    const endOfDay = valuesFromTask(task({ due_date: dueFromInput('2026-12-01') }));
    expect([endOfDay.due, endOfDay.time]).toEqual(['2026-12-01', '']);
    const plainDate = valuesFromTask(task({ due_date: '2026-12-01T00:00:00.000Z' }));
    expect([plainDate.due, plainDate.time]).toEqual(['2026-12-01', '']);
  });
});

describe('creating a repeating task', () => {
  it('sends the rule of the choice on the due date, and its mode', () => {
    expect(createInput(form({ due: '2026-12-01', time: '09:30', repeat: 'weekly' }))).toEqual({
      title: 'Water the plants',
      priority: 'none',
      due_date: tuesdayMorning,
      recurrence: 'FREQ=WEEKLY;BYDAY=TU',
      recurrence_mode: 'fixed',
    });
  });

  it('counts from completion only where the rule allows it', () => {
    const daily = createInput(form({ due: '2026-12-01', repeat: 'daily', fromCompletion: true }));
    expect(daily.recurrence_mode).toBe('from_completion');
    const weekdays = createInput(
      form({ due: '2026-12-01', repeat: 'weekdays', fromCompletion: true }),
    );
    expect(weekdays.recurrence_mode).toBe('fixed');
  });

  it('sends reminders, and nothing about repeating when it does not', () => {
    const input = createInput(form({ due: '2026-12-01', reminders: [{ before: 'PT15M' }] }));
    expect(input.reminders).toEqual([{ before: 'PT15M' }]);
    expect(input).not.toHaveProperty('recurrence');
  });

  it('asks for a due date first', () => {
    expect(validate(form({ repeat: 'daily' })).repeat).toBe(
      'Choose a due date to repeat this task.',
    );
    expect(validate(form({ reminders: [{ before: 'PT1H' }] })).reminders).toMatch(/due date/);
    expect(validate(form({ reminders: [{ at: tuesdayMorning }] })).reminders).toBeUndefined();
    expect(validate(form({ time: '09:00' })).time).toBe('Choose a due date for this time.');
    expect(validate(form({ due: '2026-12-01', repeat: 'custom', rule: '' })).rule).toMatch(
      /^Enter a rule/,
    );
  });
});

describe('editing a repeating task', () => {
  const weekly = task({
    due_date: tuesdayMorning,
    recurrence: 'FREQ=WEEKLY;BYDAY=TU',
    next_due_date: dueFromInput('2026-12-08', '09:30'),
    reminders: [{ id: 'r1', before: 'PT15M' }],
  });

  it('shows the task’s rule as its choice', () => {
    const values = valuesFromTask(weekly);
    expect(values.repeat).toBe('weekly');
    expect(values.reminders).toEqual([{ before: 'PT15M' }]);
  });

  it('sends nothing when nothing changed', () => {
    expect(patchInput(weekly, valuesFromTask(weekly))).toEqual({});
  });

  it('moves a weekly rule to the new due date’s weekday', () => {
    const values = { ...valuesFromTask(weekly), due: '2026-12-02' };
    expect(patchInput(weekly, values)).toEqual({
      due_date: dueFromInput('2026-12-02', '09:30'),
      recurrence: 'FREQ=WEEKLY;BYDAY=WE',
      recurrence_mode: 'fixed',
    });
  });

  it('stops repeating', () => {
    expect(patchInput(weekly, { ...valuesFromTask(weekly), repeat: 'none' })).toEqual({
      recurrence: null,
    });
  });

  it('sends a changed mode with its rule', () => {
    const daily = task({ due_date: tuesdayMorning, recurrence: 'FREQ=DAILY' });
    expect(patchInput(daily, { ...valuesFromTask(daily), fromCompletion: true })).toEqual({
      recurrence: 'FREQ=DAILY',
      recurrence_mode: 'from_completion',
    });
  });

  it('keeps a rule no choice makes as custom, untouched', () => {
    const custom = task({ due_date: tuesdayMorning, recurrence: 'FREQ=MONTHLY;BYDAY=2TU' });
    const values = valuesFromTask(custom);
    expect([values.repeat, values.rule]).toEqual(['custom', 'FREQ=MONTHLY;BYDAY=2TU']);
    expect(patchInput(custom, values)).toEqual({});
  });

  it('sends the whole list of reminders when one changes', () => {
    const values = {
      ...valuesFromTask(weekly),
      reminders: [{ before: 'PT15M' }, { before: 'P1D' }],
    };
    expect(patchInput(weekly, values)).toEqual({
      reminders: [{ before: 'PT15M' }, { before: 'P1D' }],
    });
  });
});
