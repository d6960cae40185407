import type {
  DESCRIPTION_MAX as ServerDescriptionMax,
  TAG_MAX as ServerTagMax,
  TAGS_MAX as ServerTagsMax,
  TITLE_MAX as ServerTitleMax,
} from '../../../src/tasks/task';
import type { Priority, TaskCreateInput, TaskJson, TaskPatchInput, TaskStatus } from '../api/types';
import {
  emptySchedule,
  type ScheduleValues,
  scheduleCreateInput,
  scheduleFieldsFromServer,
  scheduleOf,
  schedulePatch,
  validateSchedule,
} from '../recurrence/schedule-values';
import { parseTags } from './view-filters';

// A task as its form holds it (strings, as inputs do), and back to the API's bodies.

// The server's limits, checked here before sending. The types are the server's constants'
// literal types, so a change there fails this build until the numbers here agree.
export const TITLE_MAX: typeof ServerTitleMax = 200;
export const DESCRIPTION_MAX: typeof ServerDescriptionMax = 1000;
export const TAGS_MAX: typeof ServerTagsMax = 10;
export const TAG_MAX: typeof ServerTagMax = 32;

/** The due date and time, repeat and reminders are the schedule's (ScheduleValues). */
export interface TaskFormValues extends ScheduleValues {
  title: string;
  description: string;
  status: TaskStatus;
  priority: Priority;
  /** Comma-separated, as typed. */
  tags: string;
  /** A member's user id, or empty for nobody. */
  assignee: string;
}

export type TaskFormErrors = Partial<Record<keyof TaskFormValues, string>>;

export const emptyValues: TaskFormValues = {
  title: '',
  description: '',
  status: 'pending',
  priority: 'none',
  tags: '',
  due: '',
  assignee: '',
  ...emptySchedule,
};

/** A due date given as a plain date (YYYY-MM-DD) is stored as midnight UTC. */
const isUtcMidnight = (date: Date) =>
  date.getUTCHours() === 0 &&
  date.getUTCMinutes() === 0 &&
  date.getUTCSeconds() === 0 &&
  date.getUTCMilliseconds() === 0;

export function valuesFromTask(task: TaskJson): TaskFormValues {
  const due = task.due_date ? dateInputValue(new Date(task.due_date)) : '';
  return {
    ...scheduleOf(task, due),
    title: task.title,
    description: task.description ?? '',
    status: task.status,
    priority: task.priority,
    tags: task.tags.join(', '),
    due,
    time: task.due_date ? timeInputValue(new Date(task.due_date)) : '',
    assignee: task.assignee_id ?? '',
  };
}

const codePoints = (s: string) => [...s].length;

export function validate(values: TaskFormValues): TaskFormErrors {
  const errors: TaskFormErrors = validateSchedule(values);
  const title = values.title.trim();
  if (title === '') errors.title = 'Enter a title.';
  else if (codePoints(title) > TITLE_MAX)
    errors.title = `Keep the title to ${TITLE_MAX} characters.`;
  if (codePoints(values.description) > DESCRIPTION_MAX)
    errors.description = `Keep the description to ${DESCRIPTION_MAX} characters.`;
  const tags = parseTags(values.tags);
  if (tags.length > TAGS_MAX) errors.tags = `Use at most ${TAGS_MAX} tags.`;
  else if (tags.some((t) => codePoints(t) > TAG_MAX))
    errors.tags = `Keep each tag to ${TAG_MAX} characters.`;
  return errors;
}

/**
 * A date picked in the form means the end of that day where the user is, so a task due
 * today is not overdue until tonight; with a time (HH:MM), that time of the day.
 */
export function dueFromInput(date: string, time = ''): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const clock = /^(\d{2}):(\d{2})$/.exec(time);
  if (clock) return new Date(y, m - 1, d, Number(clock[1]), Number(clock[2])).toISOString();
  return new Date(y, m - 1, d, 23, 59, 59, 999).toISOString();
}

/** YYYY-MM-DD of a due date: a plain date as it was given, else the user's local day. */
function dateInputValue(date: Date): string {
  if (isUtcMidnight(date)) return date.toISOString().slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** HH:MM of a due date with a time of day: not a plain date, nor the end of a local day. */
function timeInputValue(date: Date): string {
  if (isUtcMidnight(date) || isEndOfDay(date)) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const isEndOfDay = (date: Date) => date.getHours() === 23 && date.getMinutes() === 59;

export function createInput(values: TaskFormValues): TaskCreateInput {
  const input: TaskCreateInput = { title: values.title.trim(), priority: values.priority };
  if (values.description.trim()) input.description = values.description;
  const tags = parseTags(values.tags);
  if (tags.length > 0) input.tags = tags;
  const due = dueFromInput(values.due, values.time);
  if (due) input.due_date = due;
  if (values.assignee) input.assignee_id = values.assignee;
  return { ...input, ...scheduleCreateInput(values) };
}

/** Only what the form changed, so an edit never overwrites fields it did not touch. */
export function patchInput(task: TaskJson, values: TaskFormValues): TaskPatchInput {
  const before = valuesFromTask(task);
  const patch: TaskPatchInput = {};
  if (values.title.trim() !== task.title) patch.title = values.title.trim();
  if (values.description !== before.description)
    patch.description = values.description.trim() ? values.description : null;
  if (values.status !== task.status) patch.status = values.status;
  if (values.priority !== task.priority) patch.priority = values.priority;
  const tags = parseTags(values.tags);
  if (tags.join(',') !== task.tags.join(',')) patch.tags = tags;
  if (values.due !== before.due || values.time !== before.time)
    patch.due_date = dueFromInput(values.due, values.time);
  if (values.assignee !== before.assignee) patch.assignee_id = values.assignee || null;
  return { ...patch, ...schedulePatch(task, values) };
}

export function isOverdue(task: TaskJson, now = Date.now()): boolean {
  return !task.completed && task.due_date !== null && Date.parse(task.due_date) < now;
}

/**
 * "May 3", "May 3, 2027", or with the time when the due date has one: not a plain date
 * (midnight UTC) nor a date picked here (the end of a local day).
 */
export function formatDue(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const plainDate = isUtcMidnight(date);
  const year = plainDate ? date.getUTCFullYear() : date.getFullYear();
  const endOfDay = isEndOfDay(date);
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(year === now.getFullYear() ? {} : { year: 'numeric' }),
    ...(plainDate ? { timeZone: 'UTC' } : {}),
    ...(plainDate || endOfDay ? {} : { hour: '2-digit', minute: '2-digit' }),
  });
}

/** Server field errors ("title", "tags.0") onto the form's fields. */
export function formErrorsFromServer(errors: { path: string; message: string }[]): TaskFormErrors {
  const fields: Record<string, keyof TaskFormValues> = {
    title: 'title',
    description: 'description',
    status: 'status',
    priority: 'priority',
    tags: 'tags',
    due_date: 'due',
    assignee_id: 'assignee',
    ...scheduleFieldsFromServer,
  };
  const result: TaskFormErrors = {};
  for (const error of errors) {
    const field = fields[error.path.split('.')[0] ?? ''];
    if (field && !result[field]) result[field] = `${capitalise(error.message)}.`;
  }
  return result;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/\.$/, '');
