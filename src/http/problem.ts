import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  type AppError,
  asAppError,
  type ErrorCode,
  errorCatalogue,
  type FieldError,
  fail,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './context.js';

// RFC 9457 problem details: every error of the API (outside /api/auth, which keeps Better
// Auth's shape) leaves the server in this one shape, built here from the error catalogue.

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/task_not_found' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]]),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof ProblemSchema>;

export const PROBLEM_TYPE = 'application/problem+json';

export function problemResponse(c: Context<AppEnv>, error: AppError): Response {
  const body: Problem = {
    type: `/problems/${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    request_id: c.get('requestId') ?? '',
    ...(error.details.errors ? { errors: error.details.errors } : {}),
  };
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_TYPE };
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  if (error.details.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(error.details.retryAfterSeconds);
  }
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode, headers);
}

/** The problem for anything a handler threw; faults of ours are logged with the request id. */
export function problemFor(error: unknown, c: Context<AppEnv>, logger: Logger): Response {
  const appError = error instanceof HTTPException ? fromHttpException(error) : asAppError(error);
  if (appError.code === 'internal') {
    logger.error({ err: error, request_id: c.get('requestId') }, 'unhandled error');
  }
  return problemResponse(c, appError);
}

/**
 * Hono's own refusals, by status. Every route with a body takes JSON, so the one 400 Hono
 * raises itself is a body that does not parse.
 */
function fromHttpException(error: HTTPException): AppError {
  switch (error.status) {
    case 400:
      return fail.malformedJson();
    case 401:
      return fail.unauthorized();
    case 413:
      return fail.payloadTooLarge();
    case 415:
      return fail.unsupportedMediaType();
    default:
      return error.status < 500 ? fail.badRequest() : fail.internal();
  }
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
  'created_by',
  'version',
  'created_at',
  'updated_at',
]);
