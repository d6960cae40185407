import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses, signedIn } from '../http/openapi-responses.js';
import { ProblemSchema } from '../http/problem.js';
import { ListSchema } from '../lists/schemas.js';
import { TaskSchema } from '../tasks/schemas.js';

const tags = ['Account'];

export const ProfileSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
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
