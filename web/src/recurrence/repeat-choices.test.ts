import { describe, expect, it } from 'vitest';
import {
  allowsFromCompletion,
  choiceFor,
  describeRepeat,
  describeRule,
  dueDayOf,
  normaliseRule,
  ordinal,
  type RepeatChoice,
  repeatChoices,
  repeatLabels,
  ruleFor,
  ruleProblem,
  sameRule,
} from './repeat-choices';

// 2026-12-01 is a Tuesday.
const tuesdayFirst = dueDayOf('2026-12-01');
// 2027-01-29 is a Friday.
const friday29th = dueDayOf('2027-01-29');

describe('the due date a choice follows', () => {
  it('reads the weekday and day of a date input', () => {
    expect(tuesdayFirst).toEqual({ weekday: 2, day: 1 });
    expect(friday29th).toEqual({ weekday: 5, day: 29 });
    expect(dueDayOf('2028-02-29')).toEqual({ weekday: 2, day: 29 });
  });

  it.each(['', '2026-13-01', '2027-02-29', '1 Dec 2026'])('has none for %j', (value) => {
    expect(dueDayOf(value)).toBeNull();
  });

  it('writes ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '31st',
    ]);
  });
});

describe('choices and rules', () => {
  it('labels the choices after the due date', () => {
    const labels = repeatLabels(friday29th);
    expect(repeatChoices.map((choice) => labels[choice])).toEqual([
      'Does not repeat',
      'Daily',
      'Weekdays (Mon–Fri)',
      'Weekly on Friday',
      'Monthly on the 29th',
      'Monthly on the last Friday',
      'Yearly',
      'Custom…',
    ]);
    expect(repeatLabels(null).weekly).toBe('Weekly');
  });

  it('makes the rule of each choice', () => {
    const rules = Object.fromEntries(
      repeatChoices.map((choice) => [
        choice,
        ruleFor(choice, friday29th, 'rrule:freq=weekly;interval=2'),
      ]),
    );
    expect(rules).toEqual({
      none: null,
      daily: 'FREQ=DAILY',
      weekdays: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
      weekly: 'FREQ=WEEKLY;BYDAY=FR',
      'monthly-day': 'FREQ=MONTHLY;BYMONTHDAY=29',
      'monthly-last-weekday': 'FREQ=MONTHLY;BYDAY=-1FR',
      yearly: 'FREQ=YEARLY',
      custom: 'FREQ=WEEKLY;INTERVAL=2',
    });
  });

  it('has no rule for a choice that follows a due date while there is none', () => {
    for (const choice of ['weekly', 'monthly-day', 'monthly-last-weekday'] as const) {
      expect(ruleFor(choice, null, '')).toBeNull();
    }
    expect(ruleFor('custom', null, '  ')).toBeNull();
  });

  it.each(repeatChoices.filter((c) => c !== 'custom' && c !== 'none'))(
    'reads back the rule of %s',
    (choice: RepeatChoice) => {
      expect(choiceFor(ruleFor(choice, tuesdayFirst, ''), tuesdayFirst)).toEqual({
        choice,
        custom: '',
      });
    },
  );

  it('reads a rule in another order, or with INTERVAL=1, as the same choice', () => {
    expect(choiceFor('BYDAY=TU;FREQ=WEEKLY;INTERVAL=1', tuesdayFirst).choice).toBe('weekly');
    expect(choiceFor('RRULE:FREQ=DAILY', null).choice).toBe('daily');
  });

  it('shows a rule that no choice makes, or another weekday than the due date’s, as custom', () => {
    expect(choiceFor('FREQ=WEEKLY;BYDAY=MO', tuesdayFirst)).toEqual({
      choice: 'custom',
      custom: 'FREQ=WEEKLY;BYDAY=MO',
    });
    expect(choiceFor('FREQ=WEEKLY;INTERVAL=2', tuesdayFirst).choice).toBe('custom');
    expect(choiceFor(null, tuesdayFirst)).toEqual({ choice: 'none', custom: '' });
  });

  it('normalises what a person types', () => {
    expect(normaliseRule(' rrule:freq=daily; interval=3; ')).toBe('FREQ=DAILY;INTERVAL=3');
    expect(sameRule('FREQ=DAILY', 'FREQ=DAILY;INTERVAL=2')).toBe(false);
    expect(sameRule(null, null)).toBe(true);
    expect(sameRule('FREQ=DAILY', null)).toBe(false);
  });

  it('checks a custom rule’s form before sending it', () => {
    expect(ruleProblem('FREQ=WEEKLY;INTERVAL=2')).toBeNull();
    expect(ruleProblem('')).toMatch(/^Enter a rule/);
    expect(ruleProblem('every week')).toMatch(/^A rule has parts/);
    expect(ruleProblem('INTERVAL=2')).toMatch(/^A rule has parts/);
  });

  it('allows "from completion" only without set days', () => {
    expect(allowsFromCompletion('FREQ=DAILY')).toBe(true);
    expect(allowsFromCompletion('FREQ=WEEKLY;INTERVAL=2;COUNT=5')).toBe(true);
    expect(allowsFromCompletion('FREQ=WEEKLY;BYDAY=MO')).toBe(false);
    expect(allowsFromCompletion('FREQ=MONTHLY;BYMONTHDAY=-1')).toBe(false);
    expect(allowsFromCompletion(null)).toBe(false);
  });
});

describe('a rule in words', () => {
  it.each([
    ['FREQ=DAILY', 'Every day'],
    ['FREQ=DAILY;INTERVAL=3', 'Every 3 days'],
    ['FREQ=WEEKLY', 'Every week'],
    ['FREQ=WEEKLY;INTERVAL=2', 'Every 2 weeks'],
    ['FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'Every weekday'],
    ['FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR', 'Every weekday'],
    ['FREQ=WEEKLY;BYDAY=TU', 'Weekly on Tuesday'],
    ['FREQ=WEEKLY;BYDAY=MO,WE', 'Weekly on Monday and Wednesday'],
    ['FREQ=WEEKLY;BYDAY=MO,WE,FR', 'Weekly on Monday, Wednesday and Friday'],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=SA', 'Every 2 weeks on Saturday'],
    ['FREQ=MONTHLY', 'Every month'],
    ['FREQ=MONTHLY;INTERVAL=3', 'Every 3 months'],
    ['FREQ=MONTHLY;BYMONTHDAY=15', 'Monthly on the 15th'],
    ['FREQ=MONTHLY;BYMONTHDAY=1,15', 'Monthly on the 1st and 15th'],
    ['FREQ=MONTHLY;BYMONTHDAY=-1', 'Monthly on the last day'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'Monthly on the last Friday'],
    ['FREQ=MONTHLY;BYDAY=1MO', 'Monthly on the first Monday'],
    ['FREQ=MONTHLY;INTERVAL=2;BYDAY=+2TH', 'Every 2 months on the second Thursday'],
    ['FREQ=YEARLY', 'Every year'],
    ['FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25', 'Yearly on 25 December'],
    ['FREQ=DAILY;COUNT=10', 'Every day, 10 times'],
    ['FREQ=DAILY;COUNT=1', 'Every day, once'],
    ['FREQ=WEEKLY;UNTIL=20261231T235959Z', 'Every week, until 31 December 2026'],
    ['RRULE:FREQ=WEEKLY;WKST=MO;INTERVAL=2', 'Every 2 weeks'],
  ])('says %s as %j', (rule, words) => {
    expect(describeRule(rule)).toBe(words);
  });

  it.each([
    'FREQ=MONTHLY;BYDAY=MO,TU;BYMONTHDAY=1',
    'FREQ=WEEKLY;BYMONTH=3',
    'FREQ=HOURLY',
    'FREQ=WEEKLY;BYSETPOS=1',
    'nonsense',
  ])('gives %s as it is', (rule) => {
    expect(describeRule(rule)).toBe(normaliseRule(rule));
  });

  it('says when the next date counts from completion', () => {
    expect(describeRepeat('FREQ=WEEKLY;INTERVAL=2', 'from_completion')).toBe(
      'Every 2 weeks, after completion',
    );
    expect(describeRepeat('FREQ=WEEKLY;INTERVAL=2', 'fixed')).toBe('Every 2 weeks');
  });
});
