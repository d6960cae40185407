import { nextOccurrence } from '../recurrence/rule.js';
import type { Task } from './task.js';

// Where a recurring task goes next. The database asks (TDRC1, with the task's series in its
// DETAIL) when a write would complete or skip an occurrence without being told; the server
// works it out here and writes again with the answer.

/** The server's answer for one occurrence: where the task moves (null: the series ends). */
export interface Advance {
  occurrence: Date;
  next: Date | null;
}

interface SeriesDetail {
  id: number;
  recurrence: string;
  recurrence_mode: Task['recurrenceMode'];
  due_date: number;
  anchor: number;
  occurrence: number;
  timezone: string;
}

/** The answer to a TDRC1 refusal; undefined for any other error. */
export function advanceFor(error: unknown, now: Date = new Date()): Advance | undefined {
  const { code, detail } = error as { code?: string; detail?: string };
  if (code !== 'TDRC1' || detail === undefined) return undefined;
  const series = JSON.parse(detail) as SeriesDetail;
  const occurrence = new Date(Number(series.due_date));
  return {
    occurrence,
    next: nextOccurrence({
      rule: series.recurrence,
      mode: series.recurrence_mode,
      timeZone: series.timezone,
      anchor: new Date(Number(series.anchor)),
      current: occurrence,
      position: series.occurrence,
      completedAt: now,
    }),
  };
}

/** Whether an error says the occurrence was completed (or skipped) by someone else first. */
export const isOccurrencePast = (error: unknown) => (error as { code?: string }).code === 'TDRC2';

// Pages of tasks ask for the same fixed series again and again: remember the last answers.
const fixedNextDue = new Map<string, Date | null>();
const FIXED_CACHE_MAX = 10_000;

/**
 * Where completing the task now would move its due date; null when it does not repeat, or is
 * completed (its series ended), or the series ends with this occurrence.
 */
export function nextDueOf(task: Task, now: Date = new Date()): Date | null {
  if (task.recurrence === null || task.dueDate === null || task.status === 'completed') return null;
  const input = {
    rule: task.recurrence,
    mode: task.recurrenceMode,
    timeZone: task.recurrenceZone ?? 'UTC',
    anchor: task.recurrenceAnchor ?? task.dueDate,
    current: task.dueDate,
    position: task.occurrence,
    completedAt: now,
  };
  if (task.recurrenceMode !== 'fixed') return nextOccurrence(input);
  const key = `${input.rule}|${input.timeZone}|${input.anchor.getTime()}|${input.current.getTime()}|${input.position}`;
  let next = fixedNextDue.get(key);
  if (next === undefined) {
    next = nextOccurrence(input);
    if (fixedNextDue.size >= FIXED_CACHE_MAX) fixedNextDue.clear();
    fixedNextDue.set(key, next);
  }
  return next;
}
