// How a task repeats, as the form offers it (a few common choices and a custom rule) and as
// the API stores it (an RFC 5545 RRULE without its "RRULE:" prefix), and a rule in words.

export const repeatChoices = [
  'none',
  'daily',
  'weekdays',
  'weekly',
  'monthly-day',
  'monthly-last-weekday',
  'yearly',
  'custom',
] as const;
export type RepeatChoice = (typeof repeatChoices)[number];

/** RRULE weekday codes, indexed like Date.getUTCDay(): Sunday first. */
const weekdayCodes = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
const weekdayNames = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const WEEKDAYS_RULE = 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';

/** The calendar facts of a due date that the choices depend on. */
export interface DueDay {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** 1…31. */
  day: number;
}

/** The weekday and day of month of a date input's value (YYYY-MM-DD), or null. */
export function dueDayOf(date: string): DueDay | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const utc = new Date(Date.UTC(y, m - 1, d));
  if (utc.getUTCMonth() !== m - 1) return null;
  return { weekday: utc.getUTCDay(), day: d };
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st… */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  const suffix = { 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** The select's labels; those that follow the due date say so until there is one. */
export function repeatLabels(due: DueDay | null): Record<RepeatChoice, string> {
  return {
    none: 'Does not repeat',
    daily: 'Daily',
    weekdays: 'Weekdays (Mon–Fri)',
    weekly: due ? `Weekly on ${weekdayNames[due.weekday]}` : 'Weekly',
    'monthly-day': due ? `Monthly on the ${ordinal(due.day)}` : 'Monthly on the same day',
    'monthly-last-weekday': due
      ? `Monthly on the last ${weekdayNames[due.weekday]}`
      : 'Monthly on the last same weekday',
    yearly: 'Yearly',
    custom: 'Custom…',
  };
}

/**
 * The rule a choice stands for; null for "does not repeat", and for a choice that follows
 * the due date while there is none.
 */
export function ruleFor(choice: RepeatChoice, due: DueDay | null, custom: string): string | null {
  switch (choice) {
    case 'none':
      return null;
    case 'daily':
      return 'FREQ=DAILY';
    case 'weekdays':
      return WEEKDAYS_RULE;
    case 'weekly':
      return due ? `FREQ=WEEKLY;BYDAY=${weekdayCodes[due.weekday]}` : null;
    case 'monthly-day':
      return due ? `FREQ=MONTHLY;BYMONTHDAY=${due.day}` : null;
    case 'monthly-last-weekday':
      return due ? `FREQ=MONTHLY;BYDAY=-1${weekdayCodes[due.weekday]}` : null;
    case 'yearly':
      return 'FREQ=YEARLY';
    case 'custom':
      return normaliseRule(custom) || null;
  }
}

/** The choice that shows a stored rule: a named one when it is exactly that, else custom. */
export function choiceFor(
  rule: string | null,
  due: DueDay | null,
): { choice: RepeatChoice; custom: string } {
  if (rule === null || normaliseRule(rule) === '') return { choice: 'none', custom: '' };
  const named = repeatChoices.find(
    (choice) =>
      choice !== 'custom' && choice !== 'none' && sameRule(ruleFor(choice, due, ''), rule),
  );
  return named ? { choice: named, custom: '' } : { choice: 'custom', custom: normaliseRule(rule) };
}

/** Upper case, without an "RRULE:" prefix, spaces or a trailing semicolon. */
export function normaliseRule(rule: string): string {
  return rule
    .trim()
    .replace(/^RRULE:/i, '')
    .replace(/\s+/g, '')
    .replace(/;+$/, '')
    .toUpperCase();
}

/** The parts of a rule (NAME=VALUE;…), or null when it is not made of such parts. */
export function ruleParts(rule: string): Map<string, string> | null {
  const text = normaliseRule(rule);
  if (text === '') return null;
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const match = /^([A-Z]+)=([^=]+)$/.exec(part);
    if (!match || parts.has(match[1]!)) return null;
    parts.set(match[1]!, match[2]!);
  }
  return parts;
}

/** The same rule, whatever the order of its parts or an explicit INTERVAL=1. */
export function sameRule(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const key = (rule: string) => {
    const parts = ruleParts(rule);
    if (!parts) return normaliseRule(rule);
    if (parts.get('INTERVAL') === '1') parts.delete('INTERVAL');
    return [...parts.entries()]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([name, value]) => `${name}=${value}`)
      .join(';');
  };
  return key(a) === key(b);
}

/** A rule a person can check before sending: FREQ first, NAME=VALUE parts; or what is wrong. */
export function ruleProblem(rule: string): string | null {
  if (normaliseRule(rule) === '') return 'Enter a rule, e.g. FREQ=WEEKLY;INTERVAL=2.';
  const parts = ruleParts(rule);
  if (!parts?.has('FREQ')) return 'A rule has parts like FREQ=WEEKLY;INTERVAL=2.';
  return null;
}

/** "From completion" counts the interval from the day it is done: no set days (BY… parts). */
export function allowsFromCompletion(rule: string | null): boolean {
  if (rule === null) return false;
  const parts = ruleParts(rule);
  return parts !== null && ![...parts.keys()].some((name) => name.startsWith('BY'));
}

const units = {
  DAILY: ['day', 'days'],
  WEEKLY: ['week', 'weeks'],
  MONTHLY: ['month', 'months'],
  YEARLY: ['year', 'years'],
} as const;
type Frequency = keyof typeof units;
const isFrequency = (value: string | undefined): value is Frequency =>
  value !== undefined && value in units;

const ordinalWords: Record<string, string> = {
  '1': 'first',
  '2': 'second',
  '3': 'third',
  '4': 'fourth',
  '5': 'fifth',
  '-1': 'last',
  '-2': 'second to last',
};

/** "Monday", "Monday and Friday", "Monday, Wednesday and Friday". */
function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

const weekdayName = (code: string) => {
  const index = (weekdayCodes as readonly string[]).indexOf(code);
  return index < 0 ? null : weekdayNames[index]!;
};

/** "Every 2 weeks on Monday", "Monthly on the last Friday": the rule's main clause, or null. */
function describeCycle(freq: Frequency, interval: number, parts: Map<string, string>) {
  const [one, many] = units[freq];
  const every = interval === 1 ? `Every ${one}` : `Every ${interval} ${many}`;
  const byDay = parts.get('BYDAY')?.split(',');
  const byMonthDay = parts.get('BYMONTHDAY')?.split(',');
  const byMonth = parts.get('BYMONTH')?.split(',');
  const others = [byDay, byMonthDay, byMonth].filter(Boolean).length;
  if (others === 0) return every;

  if (byDay && others === 1 && (freq === 'WEEKLY' || freq === 'DAILY')) {
    const names = byDay.map(weekdayName);
    if (names.some((name) => name === null)) return null;
    if (interval === 1 && [...byDay].sort().join() === 'FR,MO,TH,TU,WE') return 'Every weekday';
    if (interval === 1 && byDay.length === 7) return 'Every day';
    if (freq === 'DAILY') return null;
    const days = joinWords(names as string[]);
    return interval === 1 ? `Weekly on ${days}` : `${every} on ${days}`;
  }

  const lead = interval === 1 ? 'Monthly' : every;
  if (freq === 'MONTHLY' && byMonthDay && others === 1) {
    const days = byMonthDay.map((value) => {
      const n = Number(value);
      if (n === -1) return 'last day';
      if (n === -2) return 'second to last day';
      return Number.isInteger(n) && n >= 1 && n <= 31 ? ordinal(n) : null;
    });
    if (days.some((day) => day === null)) return null;
    return `${lead} on the ${joinWords(days as string[])}`;
  }
  if (freq === 'MONTHLY' && byDay && others === 1 && byDay.length === 1) {
    const match = /^([+-]?\d)([A-Z]{2})$/.exec(byDay[0]!);
    const which = match ? ordinalWords[match[1]!.replace('+', '')] : undefined;
    const name = match ? weekdayName(match[2]!) : null;
    return which && name ? `${lead} on the ${which} ${name}` : null;
  }
  if (freq === 'YEARLY' && byMonth?.length === 1 && byMonthDay?.length === 1 && !byDay) {
    const month = monthNames[Number(byMonth[0]) - 1];
    const day = Number(byMonthDay[0]);
    if (!month || !Number.isInteger(day) || day < 1 || day > 31) return null;
    return interval === 1 ? `Yearly on ${day} ${month}` : `${every} on ${day} ${month}`;
  }
  return null;
}

/** ", 5 times" or ", until 31 December 2026"; null when the end cannot be read. */
function describeEnd(parts: Map<string, string>): string | null {
  const count = parts.get('COUNT');
  const until = parts.get('UNTIL');
  if (count !== undefined) {
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1) return null;
    return n === 1 ? ', once' : `, ${n} times`;
  }
  if (until !== undefined) {
    const match = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(until);
    const month = match ? monthNames[Number(match[2]) - 1] : undefined;
    if (!match || !month) return null;
    return `, until ${Number(match[3])} ${month} ${match[1]}`;
  }
  return '';
}

const knownParts = new Set([
  'FREQ',
  'INTERVAL',
  'BYDAY',
  'BYMONTHDAY',
  'BYMONTH',
  'COUNT',
  'UNTIL',
  'WKST',
]);

/** A rule in words: "Every weekday", "Every 2 weeks"; a rule it cannot put in words, as is. */
export function describeRule(rule: string): string {
  const text = normaliseRule(rule);
  const parts = ruleParts(rule);
  if (!parts || [...parts.keys()].some((name) => !knownParts.has(name))) return text;
  const freq = parts.get('FREQ');
  const interval = Number(parts.get('INTERVAL') ?? '1');
  if (!isFrequency(freq) || !Number.isInteger(interval) || interval < 1) return text;
  const cycle = describeCycle(freq, interval, parts);
  const end = describeEnd(parts);
  return cycle === null || end === null ? text : `${cycle}${end}`;
}

/** The rule in words, and how the next date is counted when it is from completion. */
export function describeRepeat(rule: string, mode: 'fixed' | 'from_completion'): string {
  const words = describeRule(rule);
  return mode === 'from_completion' ? `${words}, after completion` : words;
}
