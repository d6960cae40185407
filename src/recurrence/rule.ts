import { RRuleTemporal, type TemporalZonedDateTimeInput } from 'rrule-temporal';

// Recurrence rules (RFC 5545 RRULE, a subset) and where a recurring task goes next.
//
// The library expands the rule in "floating" time: DTSTART is the anchor's local wall-clock
// time written as if it were UTC, so the library never sees a DST change. Each wall-clock
// occurrence is then placed in the owner's zone here, which is what keeps 09:00 at 09:00
// across DST, moves a time in a spring-forward gap forward by the gap, and takes the earlier
// instant of a repeated hour. (Given the real zone, the library drops an occurrence whose
// time falls in a gap, as RFC 5545 reads; a task must not silently lose an occurrence.)

export type RecurrenceMode = 'fixed' | 'from_completion';

export type RuleCheck = { ok: true; rule: string } | { ok: false; message: string };

export interface NextOccurrenceInput {
  /** A normalised rule as returned by checkRecurrence. */
  rule: string;
  mode: RecurrenceMode;
  /** IANA name, e.g. 'Europe/Berlin'. */
  timeZone: string;
  /** The series start (the due date when the series began): DTSTART, as an instant. */
  anchor: Date;
  /** The current due date (an occurrence of the series). */
  current: Date;
  /** 1-based number of the current occurrence in the series (anchor = 1). */
  position: number;
  /** When the current occurrence is completed or skipped (used by from_completion). */
  completedAt: Date;
}

type Frequency = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
type Weekday = (typeof WEEKDAYS)[number];

interface WeekdayEntry {
  weekday: Weekday;
  /** 1MO = first Monday, -1FR = last Friday; undefined = every such weekday. */
  ordinal: number | undefined;
}

interface Rule {
  freq: Frequency;
  interval: number;
  count: number | undefined;
  until: { text: string; epochMs: number } | undefined;
  byMonth: number[];
  byMonthDay: number[];
  byDay: WeekdayEntry[];
  wkst: Weekday | undefined;
}

const MAX_RULE_LENGTH = 500;
const MAX_INTERVAL = 1000;
const MAX_COUNT = 1000;
const DAY_MS = 86_400_000;

const PART_NAMES = [
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYMONTH',
  'BYMONTHDAY',
  'BYDAY',
  'WKST',
] as const;
type PartName = (typeof PART_NAMES)[number];
const FROM_COMPLETION_PARTS: readonly PartName[] = ['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'WKST'];

/** A rule the client sent that cannot be stored; the message is shown to the user. */
class InvalidRule extends Error {}

/** Validates a rule as a client sends it; `rule` is the normalised text to store (no "RRULE:" prefix, parts upper-cased, in a stable order). */
export function checkRecurrence(text: string, mode: RecurrenceMode): RuleCheck {
  try {
    const rule = parseRule(text, mode);
    if (mode === 'fixed' && !producesAnyDate(rule)) {
      throw new InvalidRule('The rule never produces a date.');
    }
    return { ok: true, rule: formatRule(rule) };
  } catch (error) {
    if (error instanceof InvalidRule) return { ok: false, message: error.message };
    throw error;
  }
}

/**
 * The stored form of a rule checkRecurrence has accepted, without checking again that it
 * produces a date (the costly part of the check).
 */
export function normaliseRecurrence(text: string, mode: RecurrenceMode): string {
  return formatRule(parseRule(text, mode));
}

/** Where completing (or skipping) the current occurrence moves the due date; null when COUNT or UNTIL leaves none. */
export function nextOccurrence(input: NextOccurrenceInput): Date | null {
  let rule: Rule;
  try {
    rule = parseRule(input.rule, input.mode);
  } catch (error) {
    if (error instanceof InvalidRule) {
      throw new Error(`Stored recurrence rule "${input.rule}" is invalid: ${error.message}`);
    }
    throw error;
  }
  if (!isTimeZone(input.timeZone)) throw new Error(`Unknown time zone "${input.timeZone}"`);
  // COUNT counts the occurrences so far, the anchor being the first.
  if (rule.count !== undefined && input.position >= rule.count) return null;
  const next =
    input.mode === 'fixed'
      ? nextFixedOccurrence(rule, input)
      : nextFromCompletion(rule, input.timeZone, input.current, input.completedAt);
  if (next === null) return null;
  if (rule.until !== undefined && next > rule.until.epochMs) return null;
  return new Date(next);
}

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Whether `zone` is an IANA time zone this runtime knows (Intl). */
export function isTimeZone(zone: string): boolean {
  // The pattern keeps out offsets such as "+01:00", which newer runtimes accept as zones.
  if (!ZONE_NAME.test(zone)) return false;
  try {
    zoneFormat(zone);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing and the stored form

function parseRule(text: string, mode: RecurrenceMode): Rule {
  if (text.length > MAX_RULE_LENGTH) {
    throw new InvalidRule(`The rule is too long (at most ${MAX_RULE_LENGTH} characters).`);
  }
  const body = text.trim().replace(/^RRULE:/i, '');
  if (body === '') throw new InvalidRule('The rule is empty.');

  const values = new Map<PartName, string>();
  for (const part of body.split(';')) {
    const match = /^([A-Za-z-]+)=(.*)$/.exec(part);
    if (!match) throw new InvalidRule(`"${part}" is not of the form NAME=value.`);
    const name = match[1]!.toUpperCase();
    if (!isPartName(name)) {
      throw new InvalidRule(
        `${name} is not supported; use FREQ, INTERVAL, COUNT, UNTIL, BYMONTH, BYMONTHDAY, BYDAY or WKST.`,
      );
    }
    if (values.has(name)) throw new InvalidRule(`${name} is given more than once.`);
    values.set(name, match[2]!.toUpperCase());
  }

  if (mode === 'from_completion') {
    const extra = [...values.keys()].find((name) => !FROM_COMPLETION_PARTS.includes(name));
    if (extra !== undefined) {
      throw new InvalidRule(
        `${extra} cannot be used when the next date counts from completion; use FREQ, INTERVAL, COUNT, UNTIL or WKST.`,
      );
    }
  }

  const freqText = values.get('FREQ');
  if (freqText === undefined) throw new InvalidRule('FREQ is required.');
  const freq = parseFrequency(freqText);
  const rule: Rule = {
    freq,
    interval: optional(values.get('INTERVAL'), (v) => parseCount('INTERVAL', v, MAX_INTERVAL)) ?? 1,
    count: optional(values.get('COUNT'), (v) => parseCount('COUNT', v, MAX_COUNT)),
    until: optional(values.get('UNTIL'), parseUntil),
    byMonth: optional(values.get('BYMONTH'), (v) => parseList('BYMONTH', v, parseMonth)) ?? [],
    byMonthDay:
      optional(values.get('BYMONTHDAY'), (v) => parseList('BYMONTHDAY', v, parseMonthDay)) ?? [],
    byDay: optional(values.get('BYDAY'), (v) => parseList('BYDAY', v, parseWeekdayEntry)) ?? [],
    wkst: optional(values.get('WKST'), (v) => parseWeekday('WKST', v)),
  };

  // The combinations RFC 5545 forbids.
  if (rule.count !== undefined && rule.until !== undefined) {
    throw new InvalidRule('COUNT and UNTIL cannot be used together.');
  }
  if (freq === 'WEEKLY' && rule.byMonthDay.length > 0) {
    throw new InvalidRule('BYMONTHDAY cannot be used with FREQ=WEEKLY.');
  }
  if (
    (freq === 'DAILY' || freq === 'WEEKLY') &&
    rule.byDay.some((entry) => entry.ordinal !== undefined)
  ) {
    throw new InvalidRule('Numbered weekdays such as 1MO or -1FR need FREQ=MONTHLY or YEARLY.');
  }
  return rule;
}

const isPartName = (name: string): name is PartName =>
  (PART_NAMES as readonly string[]).includes(name);

const optional = <T>(value: string | undefined, parse: (value: string) => T): T | undefined =>
  value === undefined ? undefined : parse(value);

function parseFrequency(value: string): Frequency {
  if (value === 'DAILY' || value === 'WEEKLY' || value === 'MONTHLY' || value === 'YEARLY') {
    return value;
  }
  throw new InvalidRule('FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.');
}

function parseCount(name: string, value: string, max: number): number {
  const number = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 1 && number <= max)) {
    throw new InvalidRule(`${name} must be a whole number from 1 to ${max}.`);
  }
  return number;
}

function parseUntil(value: string): { text: string; epochMs: number } {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const message = 'UNTIL must be a UTC date and time such as 20261231T235959Z.';
  if (!match) throw new InvalidRule(message);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const epochMs = floatingTime(
    year,
    month - 1,
    day,
    hour * 3_600_000 + minute * 60_000 + second * 1000,
  );
  const date = new Date(epochMs);
  // The round trip refuses days that do not exist (Feb 30) and hours past 23.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    minute > 59 ||
    second > 59
  ) {
    throw new InvalidRule(message);
  }
  return { text: value, epochMs };
}

function parseList<T>(
  name: string,
  value: string,
  parseItem: (item: string) => T | undefined,
): T[] {
  const items = value.split(',').map(parseItem);
  if (items.some((item) => item === undefined)) {
    throw new InvalidRule(LIST_MESSAGES[name] ?? `${name} has an invalid value.`);
  }
  return items as T[];
}

const LIST_MESSAGES: Record<string, string> = {
  BYMONTH: 'BYMONTH must list months from 1 to 12, e.g. BYMONTH=1,7.',
  BYMONTHDAY: 'BYMONTHDAY must list days from 1 to 31 or -1 to -31 (from the end), e.g. 15 or -1.',
  BYDAY:
    'BYDAY must list weekdays MO, TU, WE, TH, FR, SA, SU, optionally numbered from 1 to 53 or -1 to -53, e.g. MO,FR or -1FR.',
};

function parseMonth(item: string): number | undefined {
  const month = /^\d{1,2}$/.test(item) ? Number(item) : 0;
  return month >= 1 && month <= 12 ? month : undefined;
}

function parseMonthDay(item: string): number | undefined {
  if (!/^[+-]?\d{1,2}$/.test(item)) return undefined;
  const day = Number(item);
  return day !== 0 && Math.abs(day) <= 31 ? day : undefined;
}

function parseWeekdayEntry(item: string): WeekdayEntry | undefined {
  const match = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
  if (!match) return undefined;
  const weekday = match[2] as Weekday;
  if (match[1] === undefined) return { weekday, ordinal: undefined };
  const ordinal = Number(match[1]);
  return ordinal !== 0 && Math.abs(ordinal) <= 53 ? { weekday, ordinal } : undefined;
}

function parseWeekday(name: string, value: string): Weekday {
  const weekday = WEEKDAYS.find((day) => day === value);
  if (weekday === undefined)
    throw new InvalidRule(`${name} must be one of MO, TU, WE, TH, FR, SA, SU.`);
  return weekday;
}

/** The stored text: fixed part order, sorted lists without repeats, defaults left out. */
function formatRule(rule: Rule): string {
  const parts = [`FREQ=${rule.freq}`];
  if (rule.interval !== 1) parts.push(`INTERVAL=${rule.interval}`);
  if (rule.count !== undefined) parts.push(`COUNT=${rule.count}`);
  if (rule.until !== undefined) parts.push(`UNTIL=${rule.until.text}`);
  const sortedNumbers = (numbers: number[]) =>
    [...new Set(numbers)].sort((a, b) => a - b).join(',');
  if (rule.byMonth.length > 0) parts.push(`BYMONTH=${sortedNumbers(rule.byMonth)}`);
  if (rule.byMonthDay.length > 0) parts.push(`BYMONTHDAY=${sortedNumbers(rule.byMonthDay)}`);
  if (rule.byDay.length > 0) {
    const entries = [...rule.byDay].sort(
      (a, b) =>
        WEEKDAYS.indexOf(a.weekday) - WEEKDAYS.indexOf(b.weekday) ||
        (a.ordinal ?? 0) - (b.ordinal ?? 0),
    );
    const texts = entries.map((entry) => `${entry.ordinal ?? ''}${entry.weekday}`);
    parts.push(`BYDAY=${[...new Set(texts)].join(',')}`);
  }
  // MO is the default week start.
  if (rule.wkst !== undefined && rule.wkst !== 'MO') parts.push(`WKST=${rule.wkst}`);
  return parts.join(';');
}

// ---------------------------------------------------------------------------------------------
// Expansion (the library, in floating time)

/** How many periods (days, weeks, …) one search may walk before it gives up: about 11, 50, 100 and 400 years. */
const PERIOD_LIMITS: Record<Frequency, number> = {
  DAILY: 4000,
  WEEKLY: 2700,
  MONTHLY: 1200,
  YEARLY: 400,
};
/** Occurrences looked at per search (see the loops below); a few are enough in practice. */
const CANDIDATE_LIMIT = 400;

/** The rule's wall-clock dates from `startWall` (which is not one unless the rule matches it). */
function expansion(rule: Rule, freq: Frequency, startWall: number, periodLimit: number) {
  return new RRuleTemporal({
    freq,
    interval: freq === rule.freq ? rule.interval : 1,
    ...(rule.byMonth.length > 0 && { byMonth: rule.byMonth }),
    ...(rule.byMonthDay.length > 0 && { byMonthDay: rule.byMonthDay }),
    ...(rule.byDay.length > 0 && {
      byDay: rule.byDay.map((entry) => `${entry.ordinal ?? ''}${entry.weekday}`),
    }),
    ...(rule.wkst !== undefined && { wkst: rule.wkst }),
    dtstart: floatingZoned(startWall),
    tzid: 'UTC',
    maxIterations: periodLimit,
    cache: false,
  });
}

/** The next wall-clock occurrence after `after`, or null where the library gave up searching. */
function nextWallTime(series: RRuleTemporal, after: number): number | null {
  try {
    return series.next(new Date(after))?.epochMilliseconds ?? null;
  } catch (error) {
    if (
      error instanceof Error &&
      /^Maximum (iterations|candidate evaluations)/.test(error.message)
    ) {
      return null;
    }
    throw error;
  }
}

function nextFixedOccurrence(rule: Rule, input: NextOccurrenceInput): number | null {
  const zone = input.timeZone;
  const current = input.current.getTime();
  // The anchor is the first occurrence, whether or not the rule matches it.
  const anchor = input.anchor.getTime();
  if (anchor > current) return anchor;
  const series = expansion(rule, rule.freq, wallClockOf(anchor, zone), PERIOD_LIMITS[rule.freq]);
  // Start a day early: an occurrence placed in the zone may land up to a DST shift away from
  // its wall-clock time, so the first one strictly after `current` is found by walking.
  let after = wallClockOf(current, zone) - DAY_MS;
  for (let step = 0; step < CANDIDATE_LIMIT; step++) {
    const wall = nextWallTime(series, after);
    if (wall === null) return null;
    after = wall;
    if (!matchesByParts(rule, wall)) continue;
    const instant = instantOf(wall, zone);
    if (instant > current) return instant;
  }
  return null;
}

/**
 * Whether the explicit BY parts match any day at all. Which days they match depends only on
 * the kind of year (the weekday of 1 January, leap or not), and 2000–2028 holds all 14 kinds,
 * so searching those years with FREQ=YEARLY is exact and bounded. MONTHLY becomes YEARLY over
 * all months (numbered weekdays then count within the month, as in MONTHLY); INTERVAL and the
 * anchor are left out (an anchor on the 30th with BYMONTH=2 alone finds nothing, and
 * nextOccurrence then answers null).
 */
function producesAnyDate(rule: Rule): boolean {
  if (rule.byMonth.length === 0 && rule.byMonthDay.length === 0 && rule.byDay.length === 0) {
    return true;
  }
  const yearly: Rule = {
    ...rule,
    byMonth:
      rule.byMonth.length === 0 && rule.freq === 'MONTHLY'
        ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        : rule.byMonth,
  };
  const start = Date.UTC(2000, 0, 1);
  const end = Date.UTC(2029, 0, 1);
  const series = expansion(yearly, 'YEARLY', start, 29);
  let after = start - DAY_MS;
  for (let step = 0; step < CANDIDATE_LIMIT; step++) {
    const wall = nextWallTime(series, after);
    if (wall === null || wall >= end) return false;
    if (matchesByParts(yearly, wall)) return true;
    after = wall;
  }
  return true;
}

/**
 * Whether a wall-clock date satisfies every BY part given. The library's candidates are
 * rechecked because its YEARLY expansion of numbered weekdays counted within the year
 * (BYDAY=20MO, 53MO) disregards BYMONTHDAY, and ±53 spills into the next or previous year
 * when a year has only 52 such weekdays. In both cases it returns extra dates, not fewer, so
 * dropping the ones that do not match leaves the rule's dates.
 */
function matchesByParts(rule: Rule, wall: number): boolean {
  const date = new Date(wall);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  const daysInMonth = new Date(floatingTime(year, month + 1, 0)).getUTCDate();
  if (rule.byMonth.length > 0 && !rule.byMonth.includes(month + 1)) return false;
  if (
    rule.byMonthDay.length > 0 &&
    !rule.byMonthDay.some((monthDay) => monthDay === day || monthDay === day - daysInMonth - 1)
  ) {
    return false;
  }
  if (rule.byDay.length === 0) return true;
  const weekday = WEEKDAYS[(date.getUTCDay() + 6) % 7];
  // Numbered weekdays count within the month for MONTHLY or with BYMONTH, else within the year.
  const withinMonth = rule.freq === 'MONTHLY' || rule.byMonth.length > 0;
  const dayIndex = withinMonth
    ? day - 1
    : (floatingTime(year, month, day) - floatingTime(year, 0, 1)) / DAY_MS;
  const daysInPeriod = withinMonth
    ? daysInMonth
    : (floatingTime(year + 1, 0, 1) - floatingTime(year, 0, 1)) / DAY_MS;
  const fromStart = Math.floor(dayIndex / 7) + 1;
  const fromEnd = Math.floor((daysInPeriod - 1 - dayIndex) / 7) + 1;
  return rule.byDay.some(
    (entry) =>
      entry.weekday === weekday &&
      (entry.ordinal === undefined ||
        (entry.ordinal > 0 ? entry.ordinal === fromStart : -entry.ordinal === fromEnd)),
  );
}

// ---------------------------------------------------------------------------------------------
// From completion: calendar arithmetic on the owner's dates

function nextFromCompletion(rule: Rule, zone: string, current: Date, completedAt: Date): number {
  const completedWall = new Date(wallClockOf(completedAt.getTime(), zone));
  const timeOfDay = mod(wallClockOf(current.getTime(), zone), DAY_MS);
  let year = completedWall.getUTCFullYear();
  let month = completedWall.getUTCMonth();
  let day = completedWall.getUTCDate();
  switch (rule.freq) {
    case 'DAILY':
      day += rule.interval;
      break;
    case 'WEEKLY':
      day += 7 * rule.interval;
      break;
    case 'MONTHLY':
      month += rule.interval;
      break;
    case 'YEARLY':
      year += rule.interval;
      break;
  }
  if (rule.freq === 'MONTHLY' || rule.freq === 'YEARLY') {
    // 31 January + 1 month is the last day of February, not 3 March.
    const lastDay = new Date(floatingTime(year, month + 1, 0)).getUTCDate();
    day = Math.min(day, lastDay);
  }
  return instantOf(floatingTime(year, month, day, timeOfDay), zone);
}

// ---------------------------------------------------------------------------------------------
// Wall-clock time in a zone ("floating" time: local fields written as UTC milliseconds)

/** Milliseconds of a UTC date-time; unlike Date.UTC, years 0–99 are not moved to 1900. */
function floatingTime(year: number, month: number, day: number, msOfDay = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date.getTime() + msOfDay;
}

function floatingZoned(wall: number): TemporalZonedDateTimeInput {
  // With epochNanoseconds the library builds its own value without parsing the text.
  const value: TemporalZonedDateTimeInput & { epochNanoseconds: bigint } = {
    timeZoneId: 'UTC',
    epochNanoseconds: BigInt(wall) * 1_000_000n,
    toString: () => `${new Date(wall).toISOString().replace('Z', '+00:00')}[UTC]`,
  };
  return value;
}

/** Formatters by zone name in lower case (Intl ignores case), so the map stays as small as the zone list. */
const formats = new Map<string, Intl.DateTimeFormat>();

/** The formatter that reads wall-clock fields in `zone`; throws a RangeError for an unknown zone. */
function zoneFormat(zone: string): Intl.DateTimeFormat {
  const key = zone.toLowerCase();
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(key, format);
  }
  return format;
}

/** The local wall-clock time of an instant in `zone`, as floating milliseconds. */
function wallClockOf(instant: number, zone: string): number {
  const fields: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of zoneFormat(zone).formatToParts(instant)) fields[part.type] = part.value;
  const msOfDay =
    Number(fields.hour) * 3_600_000 +
    Number(fields.minute) * 60_000 +
    Number(fields.second) * 1000 +
    mod(instant, 1000);
  return floatingTime(Number(fields.year), Number(fields.month) - 1, Number(fields.day), msOfDay);
}

/**
 * The instant a wall-clock time names in `zone`. A time that occurs twice (the hour repeated
 * when clocks go back) is the earlier instant; a time that does not occur (skipped when clocks
 * go forward) is read with the offset from before the change, which moves it forward by the
 * length of the gap: 02:30 becomes 03:30 in Europe/Berlin. (Temporal calls this "compatible".)
 */
function instantOf(wall: number, zone: string): number {
  // The offsets a day either side; zones do not change offset twice within two days.
  const offsetBefore = wallClockOf(wall - DAY_MS, zone) - (wall - DAY_MS);
  const offsetAfter = wallClockOf(wall + DAY_MS, zone) - (wall + DAY_MS);
  const candidates = [wall - offsetBefore, wall - offsetAfter].filter(
    (instant) => wallClockOf(instant, zone) === wall,
  );
  return candidates.length > 0 ? Math.min(...candidates) : wall - offsetBefore;
}

const mod = (value: number, divisor: number) => ((value % divisor) + divisor) % divisor;
