import { describe, expect, it } from 'vitest';
import {
  checkRecurrence,
  isTimeZone,
  type NextOccurrenceInput,
  nextOccurrence,
  type RecurrenceMode,
} from './rule.js';

// Expected instants are written out in UTC, with the local time they stand for beside them,
// so that a wrong offset fails.

const accepted = (text: string, mode: RecurrenceMode = 'fixed') => {
  const check = checkRecurrence(text, mode);
  if (!check.ok) throw new Error(`"${text}" was refused: ${check.message}`);
  return check.rule;
};

const refusal = (text: string, mode: RecurrenceMode = 'fixed') => {
  const check = checkRecurrence(text, mode);
  if (check.ok) throw new Error(`"${text}" was accepted as ${check.rule}`);
  return check.message;
};

/** The next due date as an ISO string; the anchor defaults to `current` (occurrence 1). */
const next = (
  rule: string,
  timeZone: string,
  current: string,
  more: Partial<Omit<NextOccurrenceInput, 'anchor' | 'current' | 'completedAt'>> & {
    anchor?: string;
    completedAt?: string;
  } = {},
) =>
  nextOccurrence({
    rule: accepted(rule, more.mode ?? 'fixed'),
    mode: more.mode ?? 'fixed',
    timeZone,
    anchor: new Date(more.anchor ?? current),
    current: new Date(current),
    position: more.position ?? 1,
    completedAt: new Date(more.completedAt ?? current),
  })?.toISOString() ?? null;

describe('checkRecurrence', () => {
  it('drops an RRULE: prefix in any case and upper-cases names and values', () => {
    expect(accepted('rrule:freq=daily;interval=2')).toBe('FREQ=DAILY;INTERVAL=2');
    expect(accepted('RRULE:FREQ=WEEKLY;byday=mo')).toBe('FREQ=WEEKLY;BYDAY=MO');
  });

  it('stores parts in one order, lists sorted without repeats, defaults left out', () => {
    const text = 'BYDAY=FR,MO,-1FR,MO;WKST=SU;BYMONTHDAY=+15,-1,15;INTERVAL=1;FREQ=MONTHLY';
    expect(accepted(text)).toBe('FREQ=MONTHLY;BYMONTHDAY=-1,15;BYDAY=MO,-1FR,FR;WKST=SU');
    expect(accepted(text)).toBe(accepted(text));
    expect(accepted('FREQ=YEARLY;BYMONTH=12,01,6;COUNT=005;WKST=MO')).toBe(
      'FREQ=YEARLY;COUNT=5;BYMONTH=1,6,12',
    );
    expect(accepted('UNTIL=20261231T235959Z;FREQ=DAILY')).toBe('FREQ=DAILY;UNTIL=20261231T235959Z');
  });

  it('accepts what the supported parts allow', () => {
    for (const text of [
      'FREQ=DAILY',
      'FREQ=WEEKLY;INTERVAL=1000;BYDAY=MO,TU,WE,TH,FR',
      'FREQ=MONTHLY;BYDAY=1MO',
      'FREQ=MONTHLY;BYDAY=-1FR',
      'FREQ=MONTHLY;BYMONTHDAY=-1',
      'FREQ=YEARLY;BYDAY=20MO',
      'FREQ=YEARLY;BYDAY=-53FR',
      // Only in leap years, and for the fifth Monday only when 1 February is a Monday.
      'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
      'FREQ=YEARLY;BYMONTH=2;BYDAY=5MO',
      'FREQ=DAILY;BYMONTH=6,7,8;BYDAY=SA,SU',
      'FREQ=WEEKLY;COUNT=1000',
    ]) {
      expect(checkRecurrence(text, 'fixed'), text).toMatchObject({ ok: true });
    }
  });

  it('refuses an empty or over-long text', () => {
    expect(refusal('')).toBe('The rule is empty.');
    expect(refusal('   ')).toBe('The rule is empty.');
    expect(refusal('RRULE:')).toBe('The rule is empty.');
    const long = `FREQ=DAILY;BYMONTH=${Array.from({ length: 250 }, () => '1').join(',')}`;
    expect(long.length).toBeGreaterThan(500);
    expect(refusal(long)).toBe('The rule is too long (at most 500 characters).');
  });

  it('refuses parts that are not NAME=value, repeated, unknown, or missing FREQ', () => {
    expect(refusal('garbage')).toBe('"garbage" is not of the form NAME=value.');
    expect(refusal('FREQ=DAILY;')).toBe('"" is not of the form NAME=value.');
    expect(refusal('FREQ=DAILY;freq=WEEKLY')).toBe('FREQ is given more than once.');
    expect(refusal('INTERVAL=2')).toBe('FREQ is required.');
    for (const text of ['FREQ=DAILY;BYSETPOS=1', 'FREQ=DAILY;BYHOUR=9', 'FREQ=DAILY;X-NAME=1']) {
      expect(refusal(text), text).toMatch(/is not supported; use FREQ, INTERVAL/);
    }
  });

  it('refuses values out of range', () => {
    const cases: [string, RegExp][] = [
      ['FREQ=SECONDLY', /^FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY/],
      ['FREQ=HOURLY', /^FREQ must be/],
      ['FREQ=DAILY;INTERVAL=0', /^INTERVAL must be a whole number from 1 to 1000/],
      ['FREQ=DAILY;INTERVAL=1001', /^INTERVAL must be/],
      ['FREQ=DAILY;INTERVAL=1.5', /^INTERVAL must be/],
      ['FREQ=DAILY;INTERVAL=-1', /^INTERVAL must be/],
      ['FREQ=DAILY;COUNT=0', /^COUNT must be a whole number from 1 to 1000/],
      ['FREQ=DAILY;COUNT=1001', /^COUNT must be/],
      ['FREQ=DAILY;UNTIL=20260230T000000Z', /^UNTIL must be a UTC date and time/],
      ['FREQ=DAILY;UNTIL=20261231T240000Z', /^UNTIL must be/],
      ['FREQ=DAILY;UNTIL=20261231', /^UNTIL must be/],
      ['FREQ=DAILY;UNTIL=20261231T120000', /^UNTIL must be/],
      ['FREQ=YEARLY;BYMONTH=13', /^BYMONTH must list months from 1 to 12/],
      ['FREQ=YEARLY;BYMONTH=0', /^BYMONTH must/],
      ['FREQ=YEARLY;BYMONTH=', /^BYMONTH must/],
      ['FREQ=MONTHLY;BYMONTHDAY=0', /^BYMONTHDAY must list days/],
      ['FREQ=MONTHLY;BYMONTHDAY=32', /^BYMONTHDAY must/],
      ['FREQ=MONTHLY;BYMONTHDAY=-32', /^BYMONTHDAY must/],
      ['FREQ=MONTHLY;BYDAY=0MO', /^BYDAY must list weekdays/],
      ['FREQ=YEARLY;BYDAY=54MO', /^BYDAY must/],
      ['FREQ=WEEKLY;BYDAY=XX', /^BYDAY must/],
      ['FREQ=WEEKLY;BYDAY=MO,,TU', /^BYDAY must/],
      ['FREQ=WEEKLY;WKST=XX', /^WKST must be one of MO/],
    ];
    for (const [text, message] of cases) expect(refusal(text), text).toMatch(message);
  });

  it('refuses the combinations RFC 5545 forbids', () => {
    expect(refusal('FREQ=DAILY;COUNT=3;UNTIL=20261231T000000Z')).toBe(
      'COUNT and UNTIL cannot be used together.',
    );
    expect(refusal('FREQ=WEEKLY;BYMONTHDAY=1')).toBe('BYMONTHDAY cannot be used with FREQ=WEEKLY.');
    expect(refusal('FREQ=WEEKLY;BYDAY=1MO')).toBe(
      'Numbered weekdays such as 1MO or -1FR need FREQ=MONTHLY or YEARLY.',
    );
    expect(refusal('FREQ=DAILY;BYDAY=-1FR')).toMatch(/^Numbered weekdays/);
  });

  it('allows only FREQ, INTERVAL, COUNT, UNTIL and WKST when repeating from completion', () => {
    expect(accepted('FREQ=WEEKLY;INTERVAL=2;COUNT=3;WKST=SU', 'from_completion')).toBe(
      'FREQ=WEEKLY;INTERVAL=2;COUNT=3;WKST=SU',
    );
    for (const text of [
      'FREQ=MONTHLY;BYMONTHDAY=1',
      'FREQ=WEEKLY;BYDAY=MO',
      'FREQ=YEARLY;BYMONTH=1',
    ]) {
      expect(refusal(text, 'from_completion'), text).toMatch(
        /cannot be used when the next date counts from completion/,
      );
      expect(checkRecurrence(text, 'fixed'), text).toMatchObject({ ok: true });
    }
  });

  it('refuses a rule that never produces a date, quickly', () => {
    const started = performance.now();
    for (const text of [
      'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
      'FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31',
      'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-30',
      'FREQ=MONTHLY;BYDAY=6MO',
      // The first Monday is always within days 1–7; the last Friday is never before the 22nd.
      'FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=10',
      'FREQ=YEARLY;BYMONTH=3;BYDAY=-1FR;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21',
      // The 53rd Monday of a year is 30 or 31 December (the library alone offers 1 January 2001).
      'FREQ=YEARLY;BYDAY=53MO;BYMONTHDAY=1',
    ]) {
      expect(refusal(text), text).toBe('The rule never produces a date.');
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('nextOccurrence, fixed', () => {
  it('keeps 09:00 local in Europe/Berlin across both DST changes', () => {
    // 28 March 09:00 CET → 29 March 09:00 CEST; 24 October 09:00 CEST → 25 October 09:00 CET.
    expect(next('FREQ=DAILY', 'Europe/Berlin', '2026-03-28T08:00:00Z')).toBe(
      '2026-03-29T07:00:00.000Z',
    );
    expect(next('FREQ=DAILY', 'Europe/Berlin', '2026-10-24T07:00:00Z')).toBe(
      '2026-10-25T08:00:00.000Z',
    );
  });

  it('moves 02:30 in the Berlin spring-forward gap to 03:30, and the next day is 02:30 again', () => {
    const anchor = '2026-03-20T01:30:00Z'; // 02:30 CET
    expect(next('FREQ=DAILY', 'Europe/Berlin', '2026-03-28T01:30:00Z', { anchor })).toBe(
      '2026-03-29T01:30:00.000Z', // 03:30 CEST
    );
    expect(next('FREQ=DAILY', 'Europe/Berlin', '2026-03-29T01:30:00Z', { anchor })).toBe(
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    );
  });

  it('takes the first of the two 02:30s when Berlin falls back', () => {
    const anchor = '2026-10-20T00:30:00Z'; // 02:30 CEST
    expect(next('FREQ=DAILY', 'Europe/Berlin', '2026-10-24T00:30:00Z', { anchor })).toBe(
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, not 02:30 CET
    );
    expect(next('FREQ=DAILY', 'Europe/Berlin', '2026-10-25T00:30:00Z', { anchor })).toBe(
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    );
  });

  it('keeps local time in America/New_York across both DST changes, gap and repeated hour', () => {
    expect(next('FREQ=DAILY', 'America/New_York', '2026-03-07T14:00:00Z')).toBe(
      '2026-03-08T13:00:00.000Z', // 09:00 EDT
    );
    expect(next('FREQ=DAILY', 'America/New_York', '2026-10-31T13:00:00Z')).toBe(
      '2026-11-01T14:00:00.000Z', // 09:00 EST
    );
    // Sundays 02:30: on 8 March 02:30 does not exist, so 03:30 EDT.
    expect(next('FREQ=WEEKLY', 'America/New_York', '2026-03-01T07:30:00Z')).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    // Sundays 01:30: on 1 November it happens twice, first in EDT.
    expect(next('FREQ=WEEKLY', 'America/New_York', '2026-10-25T05:30:00Z')).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(
      next('FREQ=WEEKLY', 'America/New_York', '2026-11-01T05:30:00Z', {
        anchor: '2026-10-25T05:30:00Z',
      }),
    ).toBe('2026-11-08T06:30:00.000Z'); // 01:30 EST
  });

  it('handles the 30-minute DST shift of Australia/Lord_Howe', () => {
    // 3 October 09:00 +10:30 → 4 October 09:00 +11:00.
    expect(next('FREQ=DAILY', 'Australia/Lord_Howe', '2026-10-02T22:30:00Z')).toBe(
      '2026-10-03T22:00:00.000Z',
    );
    // 02:15 on 4 October falls in the half-hour gap: 02:45 +11:00.
    expect(next('FREQ=DAILY', 'Australia/Lord_Howe', '2026-10-02T15:45:00Z')).toBe(
      '2026-10-03T15:45:00.000Z',
    );
    // 01:45 on 5 April happens twice: first at +11:00, then the next day at +10:30.
    expect(next('FREQ=DAILY', 'Australia/Lord_Howe', '2026-04-03T14:45:00Z')).toBe(
      '2026-04-04T14:45:00.000Z',
    );
    expect(
      next('FREQ=DAILY', 'Australia/Lord_Howe', '2026-04-04T14:45:00Z', {
        anchor: '2026-04-03T14:45:00Z',
      }),
    ).toBe('2026-04-05T15:15:00.000Z');
  });

  it('uses the +05:30 offset of Asia/Kolkata', () => {
    // Last Friday of the month at 18:00 IST.
    expect(next('FREQ=MONTHLY;BYDAY=-1FR', 'Asia/Kolkata', '2026-01-30T12:30:00Z')).toBe(
      '2026-02-27T12:30:00.000Z',
    );
  });

  it('finds month ends: the last day, and the 31st only in months that have one', () => {
    const berlin = 'Europe/Berlin';
    expect(next('FREQ=MONTHLY;BYMONTHDAY=-1', berlin, '2026-01-31T08:00:00Z')).toBe(
      '2026-02-28T08:00:00.000Z',
    );
    expect(
      next('FREQ=MONTHLY;BYMONTHDAY=-1', berlin, '2026-02-28T08:00:00Z', {
        anchor: '2026-01-31T08:00:00Z',
      }),
    ).toBe('2026-03-31T07:00:00.000Z'); // 09:00 CEST
    // RFC 5545 skips a day a month does not have: no 31 February, no 31 April.
    expect(next('FREQ=MONTHLY;BYMONTHDAY=31', berlin, '2026-01-31T08:00:00Z')).toBe(
      '2026-03-31T07:00:00.000Z',
    );
    expect(next('FREQ=MONTHLY', berlin, '2026-01-31T08:00:00Z')).toBe('2026-03-31T07:00:00.000Z');
    expect(
      next('FREQ=MONTHLY;BYMONTHDAY=31', berlin, '2026-03-31T07:00:00Z', {
        anchor: '2026-01-31T08:00:00Z',
      }),
    ).toBe('2026-05-31T07:00:00.000Z');
  });

  it('finds numbered weekdays and working days', () => {
    const berlin = 'Europe/Berlin';
    expect(next('FREQ=MONTHLY;BYDAY=-1FR', berlin, '2026-01-30T08:00:00Z')).toBe(
      '2026-02-27T08:00:00.000Z',
    );
    expect(next('FREQ=MONTHLY;BYDAY=1MO', berlin, '2026-01-05T08:00:00Z')).toBe(
      '2026-02-02T08:00:00.000Z',
    );
    // Friday 6 March → Monday 9 March.
    expect(next('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', berlin, '2026-03-06T08:00:00Z')).toBe(
      '2026-03-09T08:00:00.000Z',
    );
    // The 53rd Monday of 2029 is 31 December; 2027 and 2028 have only 52 Mondays.
    expect(next('FREQ=YEARLY;BYDAY=53MO', 'UTC', '2026-12-28T09:00:00Z')).toBe(
      '2029-12-31T09:00:00.000Z',
    );
    // The first Monday of the year on 1 January: after 2024, next in 2029.
    expect(next('FREQ=YEARLY;BYDAY=1MO;BYMONTHDAY=1', 'UTC', '2024-01-01T09:00:00Z')).toBe(
      '2029-01-01T09:00:00.000Z',
    );
  });

  it('skips every other week with INTERVAL=2', () => {
    expect(next('FREQ=WEEKLY;INTERVAL=2', 'Europe/Berlin', '2026-03-02T08:00:00Z')).toBe(
      '2026-03-16T08:00:00.000Z',
    );
    // Monday 2 March and Thursday 5 March, then the Monday two weeks on.
    expect(
      next('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH', 'Europe/Berlin', '2026-03-05T08:00:00Z', {
        anchor: '2026-03-02T08:00:00Z',
      }),
    ).toBe('2026-03-16T08:00:00.000Z');
  });

  it('follows WKST as in the RFC 5545 example (every other week, Tuesday and Sunday)', () => {
    // From Tuesday 5 August 1997 09:00 New York: weeks starting Monday pair the 5th with the
    // 10th; weeks starting Sunday put the 10th in the skipped week, so the 17th comes next.
    const start = '1997-08-05T13:00:00Z';
    expect(next('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=MO', 'America/New_York', start)).toBe(
      '1997-08-10T13:00:00.000Z',
    );
    expect(next('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU', 'America/New_York', start)).toBe(
      '1997-08-17T13:00:00.000Z',
    );
  });

  it('repeats 29 February only in leap years', () => {
    // RFC 5545 ignores dates that do not exist (29 February 2025–2027) rather than moving them.
    expect(next('FREQ=YEARLY', 'Europe/Berlin', '2024-02-29T08:00:00Z')).toBe(
      '2028-02-29T08:00:00.000Z',
    );
  });

  it('counts the anchor as the first occurrence even when the rule does not match it', () => {
    // Thursday 5 March; the rule says Mondays.
    expect(next('FREQ=WEEKLY;BYDAY=MO', 'Europe/Berlin', '2026-03-05T08:00:00Z')).toBe(
      '2026-03-09T08:00:00.000Z',
    );
  });

  it('answers the anchor while the current due date is before it', () => {
    expect(
      next('FREQ=WEEKLY;BYDAY=MO', 'Europe/Berlin', '2026-03-01T08:00:00Z', {
        anchor: '2026-03-05T08:00:00Z',
      }),
    ).toBe('2026-03-05T08:00:00.000Z');
  });

  it('ends after COUNT occurrences, by position', () => {
    const anchor = '2026-03-01T08:00:00Z';
    const rule = 'FREQ=DAILY;COUNT=3';
    expect(next(rule, 'Europe/Berlin', '2026-03-02T08:00:00Z', { anchor, position: 2 })).toBe(
      '2026-03-03T08:00:00.000Z',
    );
    expect(next(rule, 'Europe/Berlin', '2026-03-03T08:00:00Z', { anchor, position: 3 })).toBeNull();
  });

  it('ends at UNTIL, which an occurrence may equal', () => {
    const current = '2026-03-28T08:00:00Z';
    expect(next('FREQ=DAILY;UNTIL=20260329T070000Z', 'Europe/Berlin', current)).toBe(
      '2026-03-29T07:00:00.000Z',
    );
    expect(next('FREQ=DAILY;UNTIL=20260329T065959Z', 'Europe/Berlin', current)).toBeNull();
  });

  it('answers null, quickly, when the anchor leaves the rule nothing', () => {
    // BYMONTH=2 takes the day from the anchor: there is no 30 February.
    const started = performance.now();
    expect(next('FREQ=YEARLY;BYMONTH=2', 'Europe/Berlin', '2026-01-30T08:00:00Z')).toBeNull();
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses a stored rule or zone that is not valid', () => {
    const input = {
      mode: 'fixed',
      anchor: new Date(0),
      current: new Date(0),
      position: 1,
      completedAt: new Date(0),
    } as const;
    expect(() => nextOccurrence({ ...input, rule: 'FREQ=HOURLY', timeZone: 'UTC' })).toThrow(
      /invalid/,
    );
    expect(() =>
      nextOccurrence({ ...input, rule: 'FREQ=DAILY', timeZone: 'Mars/Olympus' }),
    ).toThrow(/Unknown time zone/);
  });
});

describe('nextOccurrence, from completion', () => {
  const fromCompletion = (
    rule: string,
    timeZone: string,
    current: string,
    completedAt: string,
    position = 1,
  ) => next(rule, timeZone, current, { mode: 'from_completion', completedAt, position });

  it('counts from the local date of completion, at the time of day of the due date', () => {
    // Due 09:00 CET on 20 March, done on 28 March 21:00 CET → 29 March 09:00 CEST.
    expect(
      fromCompletion('FREQ=DAILY', 'Europe/Berlin', '2026-03-20T08:00:00Z', '2026-03-28T20:00:00Z'),
    ).toBe('2026-03-29T07:00:00.000Z');
    // 23:30 UTC on 27 March is already 28 March in Berlin.
    expect(
      fromCompletion('FREQ=DAILY', 'Europe/Berlin', '2026-03-20T08:00:00Z', '2026-03-27T23:30:00Z'),
    ).toBe('2026-03-29T07:00:00.000Z');
  });

  it('adds weeks across the New York fall-back', () => {
    expect(
      fromCompletion(
        'FREQ=WEEKLY;INTERVAL=2',
        'America/New_York',
        '2026-10-25T13:00:00Z', // 09:00 EDT
        '2026-10-25T14:00:00Z',
      ),
    ).toBe('2026-11-08T14:00:00.000Z'); // 09:00 EST
  });

  it('clamps to the last day of a shorter month, and of February in leap years', () => {
    expect(
      fromCompletion(
        'FREQ=MONTHLY',
        'Europe/Berlin',
        '2026-01-31T08:00:00Z',
        '2026-01-31T10:00:00Z',
      ),
    ).toBe('2026-02-28T08:00:00.000Z');
    expect(
      fromCompletion(
        'FREQ=MONTHLY',
        'Europe/Berlin',
        '2028-01-31T08:00:00Z',
        '2028-01-31T10:00:00Z',
      ),
    ).toBe('2028-02-29T08:00:00.000Z');
    expect(
      fromCompletion(
        'FREQ=YEARLY',
        'Europe/Berlin',
        '2024-02-29T08:00:00Z',
        '2024-02-29T10:00:00Z',
      ),
    ).toBe('2025-02-28T08:00:00.000Z');
  });

  it('moves a time in the gap forward and takes the first of a repeated time', () => {
    // 02:30 on 29 March does not exist in Berlin: 03:30 CEST.
    expect(
      fromCompletion('FREQ=DAILY', 'Europe/Berlin', '2026-03-28T01:30:00Z', '2026-03-28T10:00:00Z'),
    ).toBe('2026-03-29T01:30:00.000Z');
    // 01:30 on 1 November happens twice in New York: EDT first.
    expect(
      fromCompletion(
        'FREQ=DAILY',
        'America/New_York',
        '2026-10-31T05:30:00Z',
        '2026-10-31T12:00:00Z',
      ),
    ).toBe('2026-11-01T05:30:00.000Z');
    // 02:15 on 4 October does not exist on Lord Howe Island: 02:45 +11:00.
    expect(
      fromCompletion(
        'FREQ=DAILY',
        'Australia/Lord_Howe',
        '2026-10-02T15:45:00Z',
        '2026-10-03T00:00:00Z',
      ),
    ).toBe('2026-10-03T15:45:00.000Z');
  });

  it('ends by COUNT and UNTIL as in fixed mode', () => {
    const current = '2026-03-02T08:00:00Z';
    const done = '2026-03-02T09:00:00Z';
    expect(fromCompletion('FREQ=DAILY;COUNT=2', 'Europe/Berlin', current, done, 1)).toBe(
      '2026-03-03T08:00:00.000Z',
    );
    expect(fromCompletion('FREQ=DAILY;COUNT=2', 'Europe/Berlin', current, done, 2)).toBeNull();
    expect(
      fromCompletion('FREQ=DAILY;UNTIL=20260303T080000Z', 'Europe/Berlin', current, done),
    ).toBe('2026-03-03T08:00:00.000Z');
    expect(
      fromCompletion('FREQ=DAILY;UNTIL=20260303T075959Z', 'Europe/Berlin', current, done),
    ).toBeNull();
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and refuses anything else', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      expect(isTimeZone(zone), zone).toBe(true);
    }
    for (const zone of ['Mars/Olympus', '', 'utc+1', 'UTC+01:00', '+01:00', ' Europe/Berlin']) {
      expect(isTimeZone(zone), zone).toBe(false);
    }
  });
});
