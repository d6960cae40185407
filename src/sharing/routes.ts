import { createRoute, z } from '@hono/zod-openapi';
import { jsonContent, problemResponses, signedIn } from '../http/openapi-responses.js';
import { ListIdParamSchema, ListSchema } from '../lists/schemas.js';
import {
  CreatedInvitationSchema,
  InvitationCreateSchema,
  InvitationParamsSchema,
  InvitationPreviewSchema,
  InvitationSchema,
  MemberParamsSchema,
  MemberPatchSchema,
  MemberSchema,
  TokenParamSchema,
} from './schemas.js';

// The sharing API's contracts. Who may do what: viewers read a list, its tasks and its
// members; editors also write its tasks; admins also rename it, invite viewers and editors
// and manage them; the owner also manages admins and deletes the list. A member without the
// right gets 403 insufficient_role; anyone else 404, as if the list did not exist.

const tags = ['Sharing'];
const invitations = '/api/lists/{id}/invitations';
const members = '/api/lists/{id}/members';

export const sharingRoutes = {
  createInvitation: createRoute({
    method: 'post',
    path: invitations,
    tags,
    security: signedIn,
    summary: 'Create an invitation link (admin: viewer or editor; owner: any role)',
    description:
      'Anyone signed in who opens the link may join the list with its role, until it expires or is used up. The token is in this answer only; the server keeps a hash of it. The Inbox cannot be shared (409).',
    request: {
      params: ListIdParamSchema,
      body: { ...jsonContent(InvitationCreateSchema, 'The link to make'), required: true },
    },
    responses: {
      201: {
        ...jsonContent(CreatedInvitationSchema, 'Created; share the url'),
        headers: {
          Location: { description: 'URL of the invitation', schema: { type: 'string' } },
        },
      },
      ...problemResponses(400, 403, 404, 409, 413, 415, 422),
    },
  }),
  listInvitations: createRoute({
    method: 'get',
    path: invitations,
    tags,
    security: signedIn,
    summary: "A list's links that still work, newest first (admin and owner)",
    request: { params: ListIdParamSchema },
    responses: {
      200: jsonContent(z.array(InvitationSchema), 'Pending links, without their tokens'),
      ...problemResponses(400, 403, 404),
    },
  }),
  deleteInvitation: createRoute({
    method: 'delete',
    path: `${invitations}/{invitation_id}`,
    tags,
    security: signedIn,
    summary: 'Revoke an invitation link (admin and owner)',
    request: { params: InvitationParamsSchema },
    responses: { 204: { description: 'Revoked' }, ...problemResponses(400, 403, 404) },
  }),
  previewInvitation: createRoute({
    method: 'get',
    path: '/api/invitations/{token}',
    tags,
    security: signedIn,
    summary: 'What an invitation link offers, before accepting it',
    description: '404 for a token that is unknown, expired, used up or revoked, alike.',
    request: { params: TokenParamSchema },
    responses: {
      200: jsonContent(InvitationPreviewSchema, 'The list, the role and who invited'),
      ...problemResponses(400, 404),
    },
  }),
  acceptInvitation: createRoute({
    method: 'post',
    path: '/api/invitations/{token}/accept',
    tags,
    security: signedIn,
    summary: "Join the link's list",
    description:
      "Accepting again, or as someone who already holds that role or a higher one, changes nothing and does not use the link up; a lower role is raised to the link's.",
    request: { params: TokenParamSchema },
    responses: {
      200: jsonContent(ListSchema, 'The list joined'),
      ...problemResponses(400, 404),
    },
  }),
  listMembers: createRoute({
    method: 'get',
    path: members,
    tags,
    security: signedIn,
    summary: 'Everyone with access to a list, the owner first (names only, no emails)',
    request: { params: ListIdParamSchema },
    responses: {
      200: jsonContent(z.array(MemberSchema), 'The members'),
      ...problemResponses(400, 404),
    },
  }),
  changeMember: createRoute({
    method: 'patch',
    path: `${members}/{user_id}`,
    tags,
    security: signedIn,
    summary: "Change a member's role (admin: between viewer and editor; owner: any)",
    description: "The owner's role cannot be changed (409 owner_role_fixed).",
    request: {
      params: MemberParamsSchema,
      body: { ...jsonContent(MemberPatchSchema, 'The new role'), required: true },
    },
    responses: {
      200: jsonContent(MemberSchema, 'The member'),
      ...problemResponses(400, 403, 404, 409, 413, 415, 422),
    },
  }),
  removeMember: createRoute({
    method: 'delete',
    path: `${members}/{user_id}`,
    tags,
    security: signedIn,
    summary: 'Remove a member, or leave with your own id',
    description:
      'Admins remove viewers and editors, the owner anyone; everyone but the owner may leave (409 owner_cannot_leave). Tasks assigned to the member in this list become unassigned; access ends with the next request.',
    request: { params: MemberParamsSchema },
    responses: { 204: { description: 'Removed' }, ...problemResponses(400, 403, 404, 409) },
  }),
};
