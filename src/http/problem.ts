import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError, type ErrorCode, errorStatus, type FieldError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './context.js';

// RFC 9457 problem details: every error leaves the server in this one shape, built here.

const titles: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  invalid_cursor: 'Invalid cursor',
  malformed_json: 'Malformed JSON',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  reauthentication_required: 'Reauthentication required',
  wrong_password: 'Wrong password',
  not_found: 'Not found',
  task_not_found: 'Task not found',
  version_mismatch: 'Precondition failed',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  validation_failed: 'Validation failed',
  idempotency_key_reused: 'Idempotency key reused',
  task_limit_reached: 'Task limit reached',
  rate_limited: 'Too many requests',
  internal: 'Internal server error',
  database_unavailable: 'Service unavailable',
};

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/task_not_found' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof ProblemSchema>;

export const PROBLEM_TYPE = 'application/problem+json';
export const RETRY_AFTER_SECONDS = 5;

export function problemResponse(c: Context<AppEnv>, error: AppError): Response {
  const body: Problem = {
    type: `/problems/${error.code}`,
    title: titles[error.code],
    status: error.status,
    detail: error.message,
    code: error.code,
    request_id: c.get('requestId') ?? '',
    ...(error.details.errors ? { errors: error.details.errors } : {}),
  };
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_TYPE };
  if (error.code === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer';
  if (error.code === 'database_unavailable' || error.code === 'rate_limited') {
    headers['Retry-After'] = String(error.details.retryAfterSeconds ?? RETRY_AFTER_SECONDS);
  }
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode, headers);
}

/** Turns anything thrown by a handler into a problem response; unknown errors are 500s, logged. */
export function toAppError(error: unknown, c: Context<AppEnv>, logger: Logger): AppError {
  if (error instanceof AppError) return error;
  // Decided from the error and what it wraps (a driver error inside drizzle's or Better
  // Auth's), never by asking the database again.
  if (isDatabaseUnavailable(error)) {
    return new AppError('database_unavailable', 'The database is unavailable; try again shortly.');
  }
  if (error instanceof HTTPException) {
    if (error.status === 413)
      return new AppError('payload_too_large', 'The request body is larger than 64 KiB.');
    if (error.status === 400 && /json/i.test(error.message)) {
      return new AppError('malformed_json', 'The request body is not valid JSON.');
    }
    if (error.status === 415) {
      return new AppError(
        'unsupported_media_type',
        'Send the body as JSON with Content-Type: application/json.',
      );
    }
    if (error.status === 401)
      return new AppError('unauthorized', 'Sign in, or send a valid bearer token.');
    if (error.status < 500) return new AppError('bad_request', 'The request is not valid.');
  }
  logger.error({ err: error, request_id: c.get('requestId') }, 'unhandled error');
  return new AppError('internal', 'Something went wrong on our side; it has been logged.');
}

export function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...issue.path, key].join('.'),
        message: readOnlyFields.has(key) ? 'is read-only' : 'is not a known field',
      }));
    }
    return [{ path: issue.path.map(String).join('.'), message: issue.message }];
  });
}

const readOnlyFields = new Set([
  'id',
  'user_id',
  'completed_at',
  'version',
  'created_at',
  'updated_at',
]);
