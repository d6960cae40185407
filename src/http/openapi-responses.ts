import { z } from '@hono/zod-openapi';
import { ProblemSchema } from './problem.js';

// Documented error responses, so every route lists the problems it can answer with.

const descriptions: Record<number, string> = {
  400: 'Malformed JSON, a bad query or path parameter, or a bad cursor',
  401: 'No or invalid credentials',
  403: 'The {user_id} in the path is not the caller',
  404: "No such task or list of the caller's",
  409: 'The Inbox cannot be renamed, recoloured or deleted',
  412: 'If-Match does not match the current version',
  413: 'Body over 64 KiB',
  415: 'Body is not application/json',
  422: 'Body fails validation, a subtask rule is broken, Idempotency-Key reused with another body, or task limit reached',
  429: 'Rate limited',
  500: 'A bug, logged with its request id',
  503: 'Database unavailable; retry after Retry-After seconds',
};

export function problemResponses(...statuses: number[]) {
  const all = [...new Set([...statuses, 401, 429, 500, 503])].sort();
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );
}

export const etagHeader = {
  ETag: { description: 'The version, quoted: "3"', schema: { type: 'string' as const } },
};

/** Every /api route outside /api/auth: a bearer token (JWT or session) or the session cookie. */
export const signedIn: Record<string, string[]>[] = [{ bearerAuth: [] }, { cookieAuth: [] }];

/** A JSON body or response of this schema. */
export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** The If-Match header of a conditional write to a task or a list. */
export const ifMatchHeader = (resource: string) =>
  z.object({
    'if-match': z
      .string()
      .optional()
      .openapi({ description: `Write only if the ${resource} is at this version: "3"` }),
  });
