import type { Queryable } from '../db/database.js';
import { functionCaller } from '../db/function-call.js';
import type { List } from '../lists/list.js';
import { type ListRow, toList } from '../lists/repository.js';
import type { Invitation, InvitationPreview, Member, MemberRole } from './sharing.js';

// Sharing's calls: each one prepared round trip to a function of
// migrations/0012_sharing.up.sql. The functions check the caller's role to say why a request
// is refused (TDN02: 404, TDR01: 403); row-level security holds the same rules underneath.

interface InvitationRow {
  [column: string]: unknown;
  id: string;
  role: MemberRole;
  expires_at: Date;
  uses: number;
  max_uses: number;
  created_at: Date;
}

interface MemberRow {
  [column: string]: unknown;
  user_id: string;
  name: string;
  role: Member['role'];
  joined_at: Date;
}

interface SharingFunctions {
  invitation_create: {
    args: [
      userId: string,
      listId: number,
      role: MemberRole,
      maxUses: number,
      expiresInHours: number,
      tokenHash: Buffer,
    ];
    row: InvitationRow;
  };
  invitation_list: { args: [userId: string, listId: number]; row: InvitationRow };
  invitation_delete: {
    args: [userId: string, listId: number, id: number];
    row: { invitation_delete: string };
  };
  invitation_preview: {
    args: [userId: string, tokenHash: Buffer];
    row: { list_id: string; list_name: string; role: MemberRole; invited_by: string | null };
  };
  invitation_accept: { args: [userId: string, tokenHash: Buffer]; row: ListRow };
  member_list: { args: [userId: string, listId: number]; row: MemberRow };
  member_update: {
    args: [userId: string, listId: number, memberId: string, role: MemberRole];
    row: MemberRow;
  };
  member_delete: {
    args: [userId: string, listId: number, memberId: string];
    row: { member_delete: string };
  };
  member_lists: {
    args: [userId: string];
    row: { list_id: string; role: MemberRole; joined_at: Date };
  };
}

export interface NewInvitation {
  role: MemberRole;
  maxUses: number;
  expiresInHours: number;
  /** SHA-256 of the token; the token itself is never stored. */
  tokenHash: Buffer;
}

/** A list shared with the user: which, and since when with which role. */
export interface Membership {
  listId: number;
  role: MemberRole;
  joinedAt: Date;
}

export class SharingRepository {
  private readonly call;

  constructor(db: Queryable) {
    this.call = functionCaller<SharingFunctions>(db);
  }

  async createInvitation(userId: string, listId: number, invitation: NewInvitation) {
    const rows = await this.call('invitation_create', [
      userId,
      listId,
      invitation.role,
      invitation.maxUses,
      invitation.expiresInHours,
      invitation.tokenHash,
    ]);
    return toInvitation(rows[0]!);
  }

  /** The list's links that still work, newest first. */
  async invitations(userId: string, listId: number): Promise<Invitation[]> {
    return (await this.call('invitation_list', [userId, listId])).map(toInvitation);
  }

  /** Revokes a link; false when the list has no such link the caller manages. */
  async deleteInvitation(userId: string, listId: number, id: number): Promise<boolean> {
    return (await this.call('invitation_delete', [userId, listId, id])).length > 0;
  }

  /** What a working link offers; undefined for any other token. */
  async preview(userId: string, tokenHash: Buffer): Promise<InvitationPreview | undefined> {
    const [row] = await this.call('invitation_preview', [userId, tokenHash]);
    return (
      row && {
        list: { id: Number(row.list_id), name: row.list_name },
        role: row.role,
        invitedBy: { name: row.invited_by },
      }
    );
  }

  /** Joins the link's list; the list, or undefined when the link does not work. */
  async accept(userId: string, tokenHash: Buffer): Promise<List | undefined> {
    const [row] = await this.call('invitation_accept', [userId, tokenHash]);
    return row && toList(row);
  }

  async members(userId: string, listId: number): Promise<Member[]> {
    return (await this.call('member_list', [userId, listId])).map(toMember);
  }

  async changeRole(userId: string, listId: number, memberId: string, role: MemberRole) {
    const [row] = await this.call('member_update', [userId, listId, memberId, role]);
    return toMember(row!);
  }

  /** Removes a member, or leaves when memberId is the caller's own id. */
  async removeMember(userId: string, listId: number, memberId: string): Promise<void> {
    await this.call('member_delete', [userId, listId, memberId]);
  }

  /** The lists others share with the user. */
  async memberships(userId: string): Promise<Membership[]> {
    return (await this.call('member_lists', [userId])).map((row) => ({
      listId: Number(row.list_id),
      role: row.role,
      joinedAt: row.joined_at,
    }));
  }
}

const toInvitation = (row: InvitationRow): Invitation => ({
  id: Number(row.id),
  role: row.role,
  expiresAt: row.expires_at,
  uses: row.uses,
  maxUses: row.max_uses,
  createdAt: row.created_at,
});

const toMember = (row: MemberRow): Member => ({
  userId: row.user_id,
  name: row.name,
  role: row.role,
  joinedAt: row.joined_at,
});
