import { z } from '@hono/zod-openapi';
import { ListIdParamSchema } from '../lists/schemas.js';
import {
  INVITATION_DEFAULT_HOURS,
  INVITATION_MAX_HOURS,
  INVITATION_MAX_USES,
  memberRoles,
} from './sharing.js';

// Request and response schemas of sharing: invitation links and the members of a list.

const time = z.string().openapi({ format: 'date-time', example: '2026-11-30T15:04:05.123Z' });
const memberRole = z.enum(memberRoles).openapi({
  description:
    'viewer: reads the list and its tasks; editor: also changes its tasks; admin: also renames it, invites viewers and editors and manages them',
  example: 'editor',
});

export const InvitationCreateSchema = z
  .strictObject({
    role: memberRole,
    max_uses: z
      .number()
      .int()
      .min(1)
      .max(INVITATION_MAX_USES)
      .optional()
      .openapi({
        description: `How many people may join with the link, 1..${INVITATION_MAX_USES} (default 1)`,
        example: 1,
      }),
    expires_in_hours: z
      .number()
      .int()
      .min(1)
      .max(INVITATION_MAX_HOURS)
      .optional()
      .openapi({
        description: `Hours until the link stops working, 1..${INVITATION_MAX_HOURS} (default ${INVITATION_DEFAULT_HOURS})`,
        example: INVITATION_DEFAULT_HOURS,
      }),
  })
  .openapi('InvitationCreate');
export type InvitationCreateBody = z.infer<typeof InvitationCreateSchema>;

export const InvitationSchema = z
  .object({
    id: z.number().int().openapi({ example: 3 }),
    role: memberRole,
    expires_at: time,
    uses: z.number().int().openapi({ description: 'People who joined with it so far' }),
    max_uses: z.number().int(),
    created_at: time,
  })
  .openapi('Invitation');

export const CreatedInvitationSchema = InvitationSchema.extend({
  token: z.string().openapi({
    description: 'The secret of the link; shown only in this answer (the server keeps a hash)',
    example: 'q3Vb0Jr1c9xHq7m2yZ8wT4kLpN6sD5fA0eG2hU1iO3E',
  }),
  url: z.string().openapi({
    description: "The web app's page that accepts the invitation",
    example: 'https://tasks.example.com/invite/q3Vb0Jr1c9xHq7m2yZ8wT4kLpN6sD5fA0eG2hU1iO3E',
  }),
}).openapi('CreatedInvitation');

export const InvitationPreviewSchema = z
  .object({
    list: z.object({ id: z.number().int(), name: z.string() }),
    role: memberRole,
    invited_by: z.object({
      name: z.string().nullable().openapi({ description: 'null once that account is deleted' }),
    }),
  })
  .openapi('InvitationPreview');

export const MemberSchema = z
  .object({
    user_id: z.string(),
    name: z.string(),
    role: z.enum(['owner', ...memberRoles]).openapi({ example: 'editor' }),
    joined_at: time,
  })
  .openapi('Member');

export const MemberPatchSchema = z.strictObject({ role: memberRole }).openapi('MemberPatch');
export type MemberPatchBody = z.infer<typeof MemberPatchSchema>;

export const TokenParamSchema = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{20,100}$/, 'is not an invitation token')
    .openapi({
      param: { name: 'token', in: 'path' },
      example: 'q3Vb0Jr1c9xHq7m2yZ8wT4kLpN6sD5fA0eG2hU1iO3E',
    }),
});

// Routes under one list: its id as the list routes read it, and the invitation or member.
export const InvitationParamsSchema = ListIdParamSchema.extend({
  invitation_id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .openapi({ param: { name: 'invitation_id', in: 'path' }, type: 'integer', example: 3 }),
});

export const MemberParamsSchema = ListIdParamSchema.extend({
  user_id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'user_id', in: 'path' }, example: 'Xy3k9P0qLm2' }),
});

export type InvitationJson = z.output<typeof InvitationSchema>;
export type CreatedInvitationJson = z.output<typeof CreatedInvitationSchema>;
export type InvitationPreviewJson = z.output<typeof InvitationPreviewSchema>;
export type MemberJson = z.output<typeof MemberSchema>;
