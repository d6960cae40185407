// Sharing as the rest of the code sees it: the roles a member can hold (the owner is not
// one of them: a list has exactly one, fixed when it is made) and the limits of a link.

export const memberRoles = ['viewer', 'editor', 'admin'] as const;
export type MemberRole = (typeof memberRoles)[number];

export const INVITATION_MAX_USES = 1000;
export const INVITATION_MAX_HOURS = 720;
export const INVITATION_DEFAULT_HOURS = 168;

export interface Invitation {
  id: number;
  role: MemberRole;
  expiresAt: Date;
  uses: number;
  maxUses: number;
  createdAt: Date;
}

export interface Member {
  userId: string;
  name: string;
  role: MemberRole | 'owner';
  joinedAt: Date;
}

export interface InvitationPreview {
  list: { id: number; name: string };
  role: MemberRole;
  invitedBy: { name: string | null };
}
