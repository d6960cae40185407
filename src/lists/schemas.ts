import { z } from '@hono/zod-openapi';
import { LIST_NAME_MAX, listRoles } from './list.js';

// Request and response schemas of the list API: they validate requests and write the
// OpenAPI document. Limits come from list.ts, the same numbers the database checks.

const codePoints = (s: string) => [...s].length;

const name = z
  .string()
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
  .transform((s) => s.trim())
  .refine((s) => codePoints(s) >= 1, 'must not be empty')
  .refine((s) => codePoints(s) <= LIST_NAME_MAX, `must be at most ${LIST_NAME_MAX} characters`)
  .openapi({
    description: `1..${LIST_NAME_MAX} characters; stored without leading or trailing white space`,
    example: 'Groceries',
  });
const color = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour #rrggbb')
  .transform((s) => s.toLowerCase())
  .nullable()
  .openapi({ description: '#rrggbb (stored lower-case), or null for none', example: '#1e90ff' });

export const ListCreateSchema = z
  .strictObject({ name, color: color.optional() })
  .openapi('ListCreate');
export const ListPatchSchema = z
  .strictObject({ name: name.optional(), color: color.optional() })
  .openapi('ListPatch');
export type ListCreateBody = z.infer<typeof ListCreateSchema>;
export type ListPatchBody = z.infer<typeof ListPatchSchema>;

const time = z.string().openapi({ format: 'date-time', example: '2026-11-23T15:04:05.123Z' });
const count = z.number().int();
export const ListSchema = z
  .object({
    id: z.number().int().openapi({ example: 7 }),
    name: z.string(),
    color: z.string().nullable(),
    inbox: z.boolean().openapi({ description: 'The list every account has; it cannot be changed' }),
    owner_id: z.string(),
    role: z.enum(listRoles).openapi({ description: "The caller's role in the list" }),
    counts: z.object({
      total: count,
      open: count.openapi({ description: 'Pending or in progress' }),
      completed: count,
      overdue: count.openapi({ description: 'Open and due before now' }),
    }),
    member_count: count.openapi({ description: 'People with access, the owner included' }),
    version: z.number().int().openapi({ description: 'Incremented on every change; the ETag' }),
    created_at: time,
    updated_at: time,
  })
  .openapi('List');

export const ListIdParamSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7 }),
});
