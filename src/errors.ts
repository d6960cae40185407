// Application errors are values with a stable code; the HTTP layer maps each code to a
// status in one table (src/http/problem.ts). Nothing is ever mapped by message text.

export const errorStatus = {
  bad_request: 400,
  invalid_cursor: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  reauthentication_required: 403,
  wrong_password: 403,
  not_found: 404,
  task_not_found: 404,
  version_mismatch: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  idempotency_key_reused: 422,
  task_limit_reached: 422,
  rate_limited: 429,
  internal: 500,
  database_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const TaskNotFound = () => new AppError('task_not_found', 'No such task.');
export const VersionMismatch = () =>
  new AppError(
    'version_mismatch',
    'The task has changed since you read it (If-Match does not match its version).',
  );
export const IdempotencyKeyReused = () =>
  new AppError(
    'idempotency_key_reused',
    'This Idempotency-Key was already used with a different request.',
  );
export const TaskLimitReached = () =>
  new AppError(
    'task_limit_reached',
    'You have as many tasks as one user may keep; delete some first.',
  );
export const ValidationFailed = (errors: FieldError[]) =>
  new AppError('validation_failed', 'The request body is not valid.', { errors });
export const Unauthorized = (message = 'Sign in, or send a valid bearer token.') =>
  new AppError('unauthorized', message);
