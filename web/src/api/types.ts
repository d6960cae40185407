// The API's types, taken from the server's own schemas. Every import here is type-only, so
// none of the server's code reaches the bundle; a change to a schema breaks this build.
import type { z } from '@hono/zod-openapi';
import type { ProfilePatchSchema, ProfileSchema } from '../../../src/account/routes';
import type { Problem } from '../../../src/http/problem';
import type { ListJson } from '../../../src/lists/list-json';
import type { ListCreateSchema, ListPatchSchema } from '../../../src/lists/schemas';
import type { NotificationJson } from '../../../src/notifications/schemas';
import type {
  CreatedInvitationJson,
  InvitationCreateSchema,
  InvitationJson,
  InvitationPreviewJson,
  MemberJson,
  MemberPatchSchema,
} from '../../../src/sharing/schemas';
import type { MemberRole } from '../../../src/sharing/sharing';
import type { SortKey, SortOrder } from '../../../src/tasks/list-query';
import type {
  TaskCreateSchema,
  TaskListQuerySchema,
  TaskMoveSchema,
  TaskPatchSchema,
} from '../../../src/tasks/schemas';
import type { Priority, TaskStatus } from '../../../src/tasks/task';
import type { TaskJson } from '../../../src/tasks/task-json';

export type {
  CreatedInvitationJson,
  InvitationJson,
  InvitationPreviewJson,
  ListJson,
  MemberJson,
  MemberRole,
  NotificationJson,
  Priority,
  Problem,
  SortKey,
  SortOrder,
  TaskJson,
  TaskStatus,
};

/** POST /api/tasks body. */
export type TaskCreateInput = z.input<typeof TaskCreateSchema>;
/** PATCH /api/tasks/{id} body. */
export type TaskPatchInput = z.input<typeof TaskPatchSchema>;
/** POST /api/tasks/{id}/move body. */
export type TaskMoveInput = z.input<typeof TaskMoveSchema>;
/** GET /api/tasks query, as sent (before the server's coercions). */
export type TaskListQuery = z.input<typeof TaskListQuerySchema>;
/** POST /api/lists body. */
export type ListCreateInput = z.input<typeof ListCreateSchema>;
/** PATCH /api/lists/{id} body. */
export type ListPatchInput = z.input<typeof ListPatchSchema>;
export type FieldError = NonNullable<Problem['errors']>[number];
/** The caller's role in a list: owner, admin, editor or viewer. */
export type ListRole = ListJson['role'];
/** POST /api/lists/{id}/invitations body. */
export type InvitationCreateInput = z.input<typeof InvitationCreateSchema>;
/** PATCH /api/lists/{id}/members/{user_id} body. */
export type MemberPatchInput = z.input<typeof MemberPatchSchema>;

/** A task's reminder, as stored: at a moment, or an ISO 8601 duration before the due date. */
export type Reminder = TaskJson['reminders'][number];
/** A reminder as sent: the same without its id (which the server derives). */
export type ReminderInput = { at: string } | { before: string };
/** fixed: the rule's next date after the due date; from_completion: counted from completion. */
export type RecurrenceMode = TaskJson['recurrence_mode'];

/** GET /api/me: with the caller's time zone (IANA name) and whether reminders are e-mailed. */
export type Profile = z.infer<typeof ProfileSchema>;
/** PATCH /api/me body. */
export type ProfilePatchInput = z.input<typeof ProfilePatchSchema>;
