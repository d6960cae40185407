import { isDatabaseUnavailable } from './db/database.js';

// Every error a client can get from the API, in one table: a stable code, its HTTP status,
// the problem's title and the default message. Application code throws them through the
// factories below; src/http/problem.ts writes them as RFC 9457 problem+json. Nothing is
// ever mapped by message text.

export const errorCatalogue = {
  bad_request: { status: 400, title: 'Bad request', message: 'The request is not valid.' },
  invalid_cursor: {
    status: 400,
    title: 'Invalid cursor',
    message: 'The cursor is not valid for this query.',
  },
  malformed_json: {
    status: 400,
    title: 'Malformed JSON',
    message: 'The request body is not valid JSON.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    message: 'Sign in, or send a valid bearer token.',
  },
  forbidden: { status: 403, title: 'Forbidden', message: 'You may not do this.' },
  reauthentication_required: {
    status: 403,
    title: 'Reauthentication required',
    message: 'Confirm with your password, or sign in again first.',
  },
  wrong_password: { status: 403, title: 'Wrong password', message: 'The password is not right.' },
  not_found: { status: 404, title: 'Not found', message: 'There is nothing here.' },
  task_not_found: { status: 404, title: 'Task not found', message: 'No such task.' },
  list_not_found: { status: 404, title: 'List not found', message: 'No such list.' },
  invitation_not_found: {
    status: 404,
    title: 'Invitation not found',
    message: 'No such invitation: it is unknown, expired, used up or revoked.',
  },
  member_not_found: { status: 404, title: 'Member not found', message: 'No such member.' },
  notification_not_found: {
    status: 404,
    title: 'Notification not found',
    message: 'No such notification.',
  },
  insufficient_role: {
    status: 403,
    title: 'Insufficient role',
    message: 'Your role in this list does not allow this.',
  },
  owner_cannot_leave: {
    status: 409,
    title: 'The owner cannot leave',
    message: 'The owner cannot leave their own list; delete it instead.',
  },
  owner_role_fixed: {
    status: 409,
    title: "The owner's role is fixed",
    message: 'A list has exactly one owner, whose role cannot be changed.',
  },
  version_mismatch: {
    status: 412,
    title: 'Precondition failed',
    message: 'It has changed since you read it (If-Match does not match its version).',
  },
  inbox_protected: {
    status: 409,
    title: 'The Inbox is protected',
    message: 'The Inbox cannot be renamed, recoloured, shared or deleted.',
  },
  payload_too_large: {
    status: 413,
    title: 'Payload too large',
    message: 'The request body is larger than 64 KiB.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    message: 'Send the body as JSON with Content-Type: application/json.',
  },
  validation_failed: {
    status: 422,
    title: 'Validation failed',
    message: 'The request body is not valid.',
  },
  idempotency_key_reused: {
    status: 422,
    title: 'Idempotency key reused',
    message: 'This Idempotency-Key was already used with a different request.',
  },
  subtask_too_deep: {
    status: 422,
    title: 'Subtasks too deep',
    message: 'Subtasks nest at most five levels deep (a task and four levels below it).',
  },
  subtask_cycle: {
    status: 422,
    title: 'Subtask cycle',
    message: 'A task cannot be placed under itself or one of its subtasks.',
  },
  subtask_list_mismatch: {
    status: 422,
    title: 'Subtask in another list',
    message: "A subtask lives in its parent's list.",
  },
  not_a_sibling: {
    status: 422,
    title: 'Not a sibling',
    message: 'The task to stand before or after has another parent, or is the task itself.',
  },
  assignee_not_member: {
    status: 422,
    title: 'Assignee not a member',
    message: 'A task can be assigned only to the owner or a member of its list.',
  },
  not_recurring: {
    status: 422,
    title: 'Not recurring',
    message: 'The task does not repeat, so it has no next occurrence to skip to.',
  },
  no_next_occurrence: {
    status: 409,
    title: 'No next occurrence',
    message: "The task's rule has no occurrence left (its COUNT or UNTIL is reached).",
  },
  task_limit_reached: {
    status: 422,
    title: 'Task limit reached',
    message: 'You have as many tasks as one user may keep; delete some first.',
  },
  rate_limited: { status: 429, title: 'Too many requests', message: 'Too many requests.' },
  internal: {
    status: 500,
    title: 'Internal server error',
    message: 'Something went wrong on our side; it has been logged.',
  },
  database_unavailable: {
    status: 503,
    title: 'Service unavailable',
    message: 'The database is unavailable; try again shortly.',
  },
} as const satisfies Record<string, { status: number; title: string; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** How long a client should wait before retrying a 503 (Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorDetails {
  /** The fields that broke a rule (422, and 400 for a query or header). */
  errors?: FieldError[];
  /** Sent as Retry-After. */
  retryAfterSeconds?: number;
}

/** An error with a stable code. Build one with `fail`, never with `new` elsewhere. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string = errorCatalogue[code].message,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }

  get title(): string {
    return errorCatalogue[this.code].title;
  }
}

/** One factory per code; the message defaults to the catalogue's. */
export const fail = {
  badRequest: (message?: string, errors?: FieldError[]) =>
    new AppError('bad_request', message, { errors }),
  invalidCursor: () => new AppError('invalid_cursor'),
  malformedJson: () => new AppError('malformed_json'),
  unauthorized: (message?: string) => new AppError('unauthorized', message),
  forbidden: (message?: string) => new AppError('forbidden', message),
  reauthenticationRequired: (message?: string) =>
    new AppError('reauthentication_required', message),
  wrongPassword: () => new AppError('wrong_password'),
  notFound: (message?: string) => new AppError('not_found', message),
  taskNotFound: () => new AppError('task_not_found'),
  listNotFound: () => new AppError('list_not_found'),
  invitationNotFound: () => new AppError('invitation_not_found'),
  memberNotFound: () => new AppError('member_not_found'),
  notificationNotFound: () => new AppError('notification_not_found'),
  notRecurring: () => new AppError('not_recurring'),
  noNextOccurrence: () => new AppError('no_next_occurrence'),
  insufficientRole: () => new AppError('insufficient_role'),
  ownerCannotLeave: () => new AppError('owner_cannot_leave'),
  ownerRoleFixed: () => new AppError('owner_role_fixed'),
  assigneeNotMember: () =>
    new AppError('assignee_not_member', undefined, {
      errors: [{ path: 'assignee_id', message: 'is not the owner or a member of the list' }],
    }),
  inboxProtected: () => new AppError('inbox_protected'),
  subtaskTooDeep: () => new AppError('subtask_too_deep'),
  subtaskCycle: () => new AppError('subtask_cycle'),
  subtaskListMismatch: () => new AppError('subtask_list_mismatch'),
  notASibling: () => new AppError('not_a_sibling'),
  versionMismatch: () => new AppError('version_mismatch'),
  payloadTooLarge: () => new AppError('payload_too_large'),
  unsupportedMediaType: () => new AppError('unsupported_media_type'),
  validationFailed: (errors: FieldError[], message?: string) =>
    new AppError('validation_failed', message, { errors }),
  idempotencyKeyReused: () => new AppError('idempotency_key_reused'),
  taskLimitReached: () => new AppError('task_limit_reached'),
  rateLimited: (message: string, retryAfterSeconds: number) =>
    new AppError('rate_limited', message, { retryAfterSeconds }),
  internal: () => new AppError('internal'),
  databaseUnavailable: () =>
    new AppError('database_unavailable', undefined, { retryAfterSeconds: RETRY_AFTER_SECONDS }),
} satisfies Record<string, (...args: never[]) => AppError>;

/**
 * What a thrown value means for the client, decided from the error alone — never by asking
 * the database again, which may be back by then: an AppError stays itself; a database that
 * could not be reached (the driver's error, also inside drizzle's or Better Auth's wrappers)
 * is 503; anything else is a fault of ours, 500.
 */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) return fail.databaseUnavailable();
  return fail.internal();
}
