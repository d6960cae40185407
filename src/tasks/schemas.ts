import { z } from '@hono/zod-openapi';
import { checkRecurrence } from '../recurrence/rule.js';
import { sortKeys } from './list-query.js';
import { reminderOf } from './reminders.js';
import {
  DESCRIPTION_MAX,
  priorities,
  REMINDERS_MAX,
  recurrenceModes,
  TAG_MAX,
  TAGS_MAX,
  TITLE_MAX,
  taskStatuses,
} from './task.js';

// Request and response schemas of the task API: they validate requests and write the
// OpenAPI document. Limits come from task.ts, the same numbers the database checks.

/** Lengths are in code points (char_length in PostgreSQL), not UTF-16 units. */
const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
const noNul = (s: string) => !s.includes('\u0000');

const text = (max: number, options: { trim?: boolean; min?: number; lower?: boolean } = {}) =>
  z
    .string()
    .refine(noNul, 'must not contain NUL characters')
    // Normalise first, then measure: lower-casing can lengthen a string ("İ" → "i̇").
    .transform((s) => {
      const trimmed = options.trim ? s.trim() : s;
      return options.lower ? trimmed.toLowerCase() : trimmed;
    })
    .refine(
      (s) => codePoints(s) >= (options.min ?? 0),
      options.min ? 'must not be empty' : 'is too short',
    )
    .refine((s) => codePoints(s) <= max, `must be at most ${max} characters`);

const title = text(TITLE_MAX, { trim: true, min: 1 }).openapi({
  description: `1..${TITLE_MAX} characters; stored without leading or trailing white space`,
  example: 'Write the quarterly report',
});
const description = text(DESCRIPTION_MAX)
  .nullable()
  .openapi({
    description: `At most ${DESCRIPTION_MAX} characters`,
    example: 'Numbers from finance first',
  });
const status = z.enum(taskStatuses).openapi({ example: 'pending' });
const priority = z.enum(priorities).openapi({ example: 'medium' });
const tag = text(TAG_MAX, { trim: true, min: 1, lower: true });
const tags = z
  .array(tag)
  .max(100)
  .transform((list) => [...new Set(list)])
  .refine((list) => list.length <= TAGS_MAX, `at most ${TAGS_MAX} distinct tags`)
  .openapi({
    description: `At most ${TAGS_MAX} tags, each 1..${TAG_MAX} characters; stored lower-cased, without duplicates`,
    example: ['work'],
  });

const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();
/** ISO 8601 date-time with Z or an offset, or a date (midnight UTC). */
export const instant = z
  .string()
  .refine((s) => isoDateTime.safeParse(s).success || isoDate.safeParse(s).success, {
    message: 'must be an ISO 8601 date-time with Z or an offset, or a date YYYY-MM-DD',
  })
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s))
  .refine((d) => !Number.isNaN(d.getTime()), 'is not a real date')
  // What PostgreSQL's timestamptz and ISO 8601 both hold, so cursors from it round-trip.
  .refine(
    (d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999,
    'must be in the years 1 to 9999',
  )
  .openapi({ type: 'string', format: 'date-time', example: '2026-12-01T17:00:00Z' });

/** An id in a body: a positive whole number (ids of tasks and lists). */
const bodyId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const listId = bodyId.openapi({
  description: "A list of the caller's; omitted on create: the Inbox, or the parent's list",
  example: 7,
});
const parentId = bodyId.nullable().openapi({
  description: 'The task this one is a subtask of (same list); null: the top level',
  example: 12,
});

const assigneeId = z.string().min(1).max(128).nullable().openapi({
  description:
    "Who the task is for: the owner or a member of the task's list (anyone else: 422 assignee_not_member), or null",
  example: 'Xy3k9P0qLm2',
});

const recurrence = z.string().max(600).nullable().openapi({
  description:
    "An RFC 5545 rule the due date repeats by, in the owner's time zone (an RRULE: prefix is accepted and not kept): FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL, BYDAY (also 1MO, -1FR), BYMONTHDAY (also -1), BYMONTH, COUNT or UNTIL (UTC, ending in Z), WKST. Needs a due date. Completing the task moves it to the next occurrence; null: does not repeat. Examples: every weekday FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR; the last Friday of each month FREQ=MONTHLY;BYDAY=-1FR; ten days in a row FREQ=DAILY;COUNT=10",
  example: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
});
const recurrenceMode = z.enum(recurrenceModes).openapi({
  description:
    'fixed: the next occurrence of the rule after the current due date; from_completion: the day it is completed plus the interval, at the due time of day (no BY… parts)',
  example: 'fixed',
});

/** An ISO 8601 duration of weeks, or of days, hours, minutes and seconds ("PT15M", "P1D"). */
const durationPattern =
  /^P(?:\d{1,3}W|(?=\d|T\d)(?:\d{1,3}D)?(?:T(?=\d)(?:\d{1,4}H)?(?:\d{1,6}M)?(?:\d{1,7}S)?)?)$/;
const reminderAt = z.strictObject({
  id: z.string().max(64).optional().openapi({ description: 'Ignored: derived from the reminder' }),
  at: instant.openapi({ description: 'When to remind; a time already past never fires' }),
});
const reminderBefore = z.strictObject({
  id: z.string().max(64).optional().openapi({ description: 'Ignored: derived from the reminder' }),
  before: z
    .string()
    .transform((v) => v.toUpperCase())
    .refine((v) => durationPattern.test(v), 'must be an ISO 8601 duration such as PT15M or P1D')
    .openapi({
      description:
        "How long before the due date, as an ISO 8601 duration: PT15M, PT1H, P1D (one day on the owner's calendar), P1W. Armed again for each new due date",
      example: 'PT15M',
    }),
});
const reminders = z
  .array(z.union([reminderAt, reminderBefore]))
  .max(REMINDERS_MAX * 4)
  .transform((list) => [...new Map(list.map(reminderOf).map((r) => [r.id, r])).values()])
  .refine((list) => list.length <= REMINDERS_MAX, `at most ${REMINDERS_MAX} distinct reminders`)
  .openapi({
    description: `At most ${REMINDERS_MAX}: {at: date-time} or {before: ISO 8601 duration} before the due date. Each fires once per due date (an at reminder once in the task's life), within a minute of its time`,
    example: [{ before: 'PT15M' }, { at: '2026-12-01T08:00:00Z' }],
  });

const writable = {
  title,
  description: description.optional(),
  status: status.optional(),
  completed: z
    .boolean()
    .optional()
    .openapi({ description: 'true sets status completed; false sets pending' }),
  priority: priority.optional(),
  tags: tags.optional(),
  due_date: instant.nullable().optional(),
  list_id: listId.optional(),
  parent_id: parentId.optional(),
  assignee_id: assigneeId.optional(),
  recurrence: recurrence.optional(),
  recurrence_mode: recurrenceMode.optional(),
  reminders: reminders.optional(),
};

type WritableInput = {
  status?: (typeof taskStatuses)[number] | undefined;
  completed?: boolean | undefined;
};
const statusAgrees = (body: WritableInput) =>
  body.status === undefined ||
  body.completed === undefined ||
  (body.status === 'completed') === body.completed;
const disagreement = { message: 'completed and status disagree', path: ['completed'] };

type RepeatInput = {
  due_date?: Date | null | undefined;
  recurrence?: string | null | undefined;
  recurrence_mode?: (typeof recurrenceModes)[number] | undefined;
  reminders?: ({ at: Date } | { before: string })[] | undefined;
};
/**
 * The rule against its mode, and what needs a due date. `whole`: the body is the whole task
 * (create, replace), so an omitted due date is none; a patch only knows what it sends (the
 * database checks the rest).
 */
const repeatRules = (whole: boolean) => (body: RepeatInput, ctx: z.RefinementCtx) => {
  const noDueDate = body.due_date === null || (whole && body.due_date === undefined);
  if (typeof body.recurrence === 'string') {
    const check = checkRecurrence(body.recurrence, body.recurrence_mode ?? 'fixed');
    if (!check.ok) ctx.addIssue({ code: 'custom', path: ['recurrence'], message: check.message });
    else if (noDueDate)
      ctx.addIssue({ code: 'custom', path: ['recurrence'], message: 'needs a due_date' });
  }
  if (noDueDate && body.reminders?.some((r) => 'before' in r))
    ctx.addIssue({
      code: 'custom',
      path: ['reminders'],
      message: 'a reminder before the due date needs a due_date',
    });
};

export const TaskCreateSchema = z
  .strictObject(writable)
  .refine(statusAgrees, disagreement)
  .superRefine(repeatRules(true))
  .openapi('TaskCreate');
/** PUT: title required; every other writable field omitted is reset to its default. */
export const TaskReplaceSchema = z
  .strictObject(writable)
  .refine(statusAgrees, disagreement)
  .superRefine(repeatRules(true))
  .openapi('TaskReplace');
export const TaskPatchSchema = z
  .strictObject({ ...writable, title: title.optional() })
  .refine(statusAgrees, disagreement)
  .superRefine(repeatRules(false))
  .openapi('TaskPatch');

export type TaskCreateBody = z.infer<typeof TaskCreateSchema>;
export type TaskPatchBody = z.infer<typeof TaskPatchSchema>;

const time = z.string().openapi({ format: 'date-time', example: '2026-11-23T15:04:05.123Z' });
export const TaskSchema = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    user_id: z.string().openapi({ description: "The owner of the task's list" }),
    title: z.string(),
    description: z.string().nullable(),
    status,
    completed: z.boolean(),
    completed_at: time.nullable(),
    priority,
    tags: z.array(z.string()),
    due_date: time.nullable(),
    list_id: z.number().int().openapi({ example: 7 }),
    parent_id: z.number().int().nullable().openapi({ example: null }),
    position: z.string().openapi({
      description: 'Manual order among siblings: compare as plain byte strings',
      example: 'a0V',
    }),
    subtasks: z
      .object({ total: z.number().int(), completed: z.number().int() })
      .openapi({ description: 'Direct subtasks' }),
    created_by: z.string().nullable().openapi({
      description: 'Who created it; null once that account is deleted',
      example: 'Xy3k9P0qLm2',
    }),
    assignee_id: z.string().nullable().openapi({
      description: 'Who it is assigned to (the owner or a member of its list), or null',
      example: null,
    }),
    recurrence: z.string().nullable().openapi({
      description: 'The rule the due date repeats by (without the RRULE: prefix), or null',
      example: 'FREQ=WEEKLY;BYDAY=MO',
    }),
    recurrence_mode: recurrenceMode,
    next_due_date: time.nullable().openapi({
      description:
        'Where completing (or skipping) the task would move its due date; null when it does not repeat or no occurrence is left',
    }),
    reminders: z
      .array(
        z.union([
          z.object({ id: z.string(), at: time }),
          z.object({ id: z.string(), before: z.string() }),
        ]),
      )
      .openapi({ example: [{ id: 'kR2x9Qe1bZ', before: 'PT15M' }] }),
    version: z.number().int().openapi({ description: 'Incremented on every change; the ETag' }),
    created_at: time,
    updated_at: time,
  })
  .openapi('Task');

export const CompletionSchema = z
  .object({
    due_date: time.openapi({ description: 'The occurrence that was completed' }),
    completed_at: time,
  })
  .openapi('Completion');

const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');
export const TaskListQuerySchema = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
    cursor: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: 'From the previous page (X-Next-Cursor)' }),
    sort: z.enum(sortKeys).default('created_at'),
    order: z
      .enum(['asc', 'desc'])
      .optional()
      .openapi({ description: 'desc for times and priority, asc for title' }),
    completed: queryBoolean.optional().openapi({ type: 'string', enum: ['true', 'false'] }),
    status: status.optional(),
    priority: priority.optional(),
    tag: z
      .union([tag, z.array(tag).max(TAGS_MAX)])
      .optional()
      .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]))
      .openapi({
        description: 'Repeatable: every tag must be present',
        type: 'array',
        items: { type: 'string' },
      }),
    q: text(200)
      .optional()
      .openapi({ description: 'Case-insensitive substring of title or description' }),
    due_before: instant.optional(),
    due_after: instant.optional(),
    list_id: z
      .string()
      .regex(/^[1-9]\d{0,15}$/, 'must be a list id')
      .transform(Number)
      .optional()
      .openapi({ type: 'integer', description: "Only this list's tasks" }),
    parent_id: z
      .union([z.literal('none'), z.string().regex(/^[1-9]\d{0,15}$/, 'must be a task id or none')])
      .transform((v) => (v === 'none' ? ('none' as const) : Number(v)))
      .optional()
      .openapi({ type: 'string', description: "A task's subtasks, or none: top-level tasks only" }),
    assignee: z.literal('me').optional().openapi({
      description: 'me: only tasks assigned to the caller, in every list they can read',
    }),
  })
  .refine((query) => query.sort !== 'position' || query.list_id !== undefined, {
    message: 'sort=position needs list_id',
    path: ['sort'],
  });
export type TaskListQueryInput = z.infer<typeof TaskListQuerySchema>;

export const TaskMoveSchema = z
  .strictObject({
    list_id: listId.optional(),
    parent_id: parentId.optional(),
    before_id: bodyId.optional().openapi({ description: 'Stand just before this sibling' }),
    after_id: bodyId.optional().openapi({ description: 'Stand just after this sibling' }),
  })
  .refine((body) => Object.keys(body).length > 0, 'say where the task goes')
  .refine((body) => body.before_id === undefined || body.after_id === undefined, {
    message: 'before_id and after_id exclude each other',
    path: ['after_id'],
  })
  .openapi('TaskMove', {
    example: { before_id: 42 },
  });
export type TaskMoveBody = z.infer<typeof TaskMoveSchema>;

export const TaskIdParamSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 42 }),
});
export const UserIdParamSchema = z.object({
  user_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'user_id', in: 'path' }, example: 'a3c1…' }),
});
