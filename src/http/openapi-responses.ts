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
