import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

// Pages of things listed newest first by their id (completions, notifications): the cursor
// is the id of the last item of the page before, which the next page starts below.

export const IdPageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  cursor: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a cursor from a previous page')
    .transform(Number)
    .optional()
    .openapi({ type: 'string', description: 'From the previous page (X-Next-Cursor)' }),
});

/** The {id} of one such thing in a path. */
export const IdPathParamSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 3 }),
});

export const idPageHeaders = {
  Link: { description: '<…>; rel="next" when there is a next page', schema: { type: 'string' } },
  'X-Next-Cursor': { description: 'Cursor of the next page', schema: { type: 'string' } },
} as const;

/**
 * The page out of `limit + 1` items: the first `limit`, and the Link and X-Next-Cursor of
 * the next page when there was one more.
 */
export function idPage<T extends { id: number }>(c: Context, items: T[], limit: number): T[] {
  if (items.length <= limit) return items;
  const page = items.slice(0, limit);
  const cursor = String(page.at(-1)!.id);
  const url = new URL(c.req.url);
  url.searchParams.set('cursor', cursor);
  c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
  c.header('X-Next-Cursor', cursor);
  return page;
}
