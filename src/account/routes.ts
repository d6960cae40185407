import { createRoute, z } from '@hono/zod-openapi';
import { NAME_MAX_LENGTH } from '../auth/auth-policy.js';
import { jsonContent, problemResponses, signedIn } from '../http/openapi-responses.js';
import { ProblemSchema } from '../http/problem.js';
import { ListSchema } from '../lists/schemas.js';
import { isTimeZone } from '../recurrence/rule.js';
import { TaskSchema } from '../tasks/schemas.js';

const tags = ['Account'];

export const ProfileSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    timezone: z.string().openapi({
      description:
        'IANA time zone: recurring tasks repeat and reminders count days in it (default UTC)',
      example: 'Europe/Berlin',
    }),
    email_reminders: z.boolean().openapi({
      description: 'Reminders are also sent by email (when the server is set up to send email)',
    }),
    created_at: z.string().openapi({ format: 'date-time' }),
    counts: z.object({
      total: z.number().int(),
      pending: z.number().int(),
      in_progress: z.number().int(),
      completed: z.number().int(),
      overdue: z.number().int().openapi({ description: 'Not completed and due before now' }),
    }),
  })
  .openapi('Profile');

const UserSchema = ProfileSchema.omit({ counts: true });

export const ProfilePatchSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(NAME_MAX_LENGTH, `must be at most ${NAME_MAX_LENGTH} characters`)
      .optional(),
    timezone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .optional()
      .openapi({ example: 'Europe/Berlin' }),
    email_reminders: z.boolean().optional(),
  })
  .openapi('ProfilePatch', { example: { timezone: 'America/New_York', email_reminders: false } });

export const DeleteAccountSchema = z
  .object({
    password: z.string().min(1).max(128).optional().openapi({
      description:
        'The account password. Required unless the request carries a session (cookie or bearer session token) created in the last 10 minutes.',
    }),
  })
  .strict()
  .openapi('DeleteAccount');

export const accountRoutes = {
  me: createRoute({
    method: 'get',
    path: '/api/me',
    tags,
    security: signedIn,
    summary: "The caller's profile and task counts",
    responses: {
      200: { content: { 'application/json': { schema: ProfileSchema } }, description: 'Profile' },
      ...problemResponses(),
    },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/me',
    tags,
    security: signedIn,
    summary: "Change the caller's name, time zone or email reminders",
    description:
      "A new time zone applies to the caller's recurring tasks from their next occurrence on.",
    request: { body: { ...jsonContent(ProfilePatchSchema, 'What to change'), required: true } },
    responses: {
      200: { ...jsonContent(ProfileSchema, 'The profile, as GET /api/me') },
      ...problemResponses(400, 413, 415, 422),
    },
  }),
  export: createRoute({
    method: 'get',
    path: '/api/me/export',
    tags,
    security: signedIn,
    summary: "All the caller's data as one JSON document",
    responses: {
      200: {
        content: {
          'application/json': {
            schema: z
              .object({
                exported_at: z.string(),
                user: UserSchema,
                lists: z.array(ListSchema).openapi({
                  description:
                    "Own and shared lists, the Inbox first, then by name; role says whose (owner: the caller's)",
                }),
                memberships: z
                  .array(
                    z.object({
                      list_id: z.number().int(),
                      role: z.enum(['viewer', 'editor', 'admin']),
                      joined_at: z.string(),
                    }),
                  )
                  .openapi({ description: 'The lists others share with the caller' }),
                tasks: z.array(TaskSchema).openapi({
                  description:
                    "The caller's own tasks, oldest first, then those of each list shared with them",
                }),
              })
              .openapi('AccountExport'),
          },
        },
        description: 'Everything we hold about the caller',
      },
      ...problemResponses(),
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/api/me',
    tags,
    security: signedIn,
    summary: 'Delete the account, its sessions and all its tasks',
    description:
      'Needs a fresh proof: the password in the body, or a session created in the last 10 minutes. A bearer JWT alone is refused (403 reauthentication_required); a wrong password is 403 wrong_password and counts as a failed sign-in for the account (429 with Retry-After once it is locked).',
    request: {
      body: {
        required: false,
        content: { 'application/json': { schema: DeleteAccountSchema } },
      },
    },
    responses: {
      204: { description: 'Deleted' },
      ...problemResponses(400, 415, 422),
      403: {
        description:
          'reauthentication_required: no password and no session from the last 10 minutes; wrong_password',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    },
  }),
};
