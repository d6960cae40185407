import { createHash, randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { fail } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import { listToJson } from '../lists/list-json.js';
import type { SharingRepository } from './repository.js';
import { sharingRoutes as routes } from './routes.js';
import type { CreatedInvitationJson, InvitationJson, MemberJson } from './schemas.js';
import { INVITATION_DEFAULT_HOURS, type Invitation, type Member } from './sharing.js';

// Handlers of sharing; the caller's id always comes from the auth middleware. A token is 32
// random bytes (base64url); only its SHA-256 digest reaches the database.

const digest = (token: string) => createHash('sha256').update(token).digest();

export function registerSharingHandlers(
  app: OpenAPIHono<AppEnv>,
  sharing: SharingRepository,
  publicBaseUrl: string,
): void {
  const inviteUrl = (token: string) => new URL(`/invite/${token}`, publicBaseUrl).href;

  app.openapi(routes.createInvitation, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const token = randomBytes(32).toString('base64url');
    const invitation = await sharing.createInvitation(c.get('user').id, id, {
      role: body.role,
      maxUses: body.max_uses ?? 1,
      expiresInHours: body.expires_in_hours ?? INVITATION_DEFAULT_HOURS,
      tokenHash: digest(token),
    });
    const json: CreatedInvitationJson = {
      ...invitationToJson(invitation),
      token,
      url: inviteUrl(token),
    };
    c.header('Location', `/api/lists/${id}/invitations/${invitation.id}`);
    // The token is a secret: no cache may keep the answer.
    c.header('Cache-Control', 'no-store');
    return c.json(json, 201);
  });

  app.openapi(routes.listInvitations, async (c) => {
    const invitations = await sharing.invitations(c.get('user').id, c.req.valid('param').id);
    return c.json(invitations.map(invitationToJson), 200);
  });

  app.openapi(routes.deleteInvitation, async (c) => {
    const { id, invitation_id } = c.req.valid('param');
    if (!(await sharing.deleteInvitation(c.get('user').id, id, invitation_id))) {
      throw fail.invitationNotFound();
    }
    return c.body(null, 204);
  });

  app.openapi(routes.previewInvitation, async (c) => {
    const preview = await sharing.preview(c.get('user').id, digest(c.req.valid('param').token));
    if (!preview) throw fail.invitationNotFound();
    return c.json(
      { list: preview.list, role: preview.role, invited_by: { name: preview.invitedBy.name } },
      200,
    );
  });

  app.openapi(routes.acceptInvitation, async (c) => {
    const list = await sharing.accept(c.get('user').id, digest(c.req.valid('param').token));
    if (!list) throw fail.invitationNotFound();
    return c.json(listToJson(list), 200);
  });

  app.openapi(routes.listMembers, async (c) => {
    const members = await sharing.members(c.get('user').id, c.req.valid('param').id);
    return c.json(members.map(memberToJson), 200);
  });

  app.openapi(routes.changeMember, async (c) => {
    const { id, user_id } = c.req.valid('param');
    const member = await sharing.changeRole(
      c.get('user').id,
      id,
      user_id,
      c.req.valid('json').role,
    );
    return c.json(memberToJson(member), 200);
  });

  app.openapi(routes.removeMember, async (c) => {
    const { id, user_id } = c.req.valid('param');
    await sharing.removeMember(c.get('user').id, id, user_id);
    return c.body(null, 204);
  });
}

const invitationToJson = (invitation: Invitation): InvitationJson => ({
  id: invitation.id,
  role: invitation.role,
  expires_at: invitation.expiresAt.toISOString(),
  uses: invitation.uses,
  max_uses: invitation.maxUses,
  created_at: invitation.createdAt.toISOString(),
});

const memberToJson = (member: Member): MemberJson => ({
  user_id: member.userId,
  name: member.name,
  role: member.role,
  joined_at: member.joinedAt.toISOString(),
});
