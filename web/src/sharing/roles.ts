import type { ListJson, ListRole, MemberJson, MemberRole } from '../api/types';

// What each role may do in a shared list, as the server decides it (each role can do what the
// ones before it can): the page offers only what the server would allow, and shows the
// server's refusal when the roles changed meanwhile.

export const roleLabels: Record<ListRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  editor: 'Editor',
  viewer: 'Viewer',
};

/** "an editor", for sentences. */
export const roleWithArticle = (role: ListRole) =>
  `${role === 'owner' || role === 'admin' || role === 'editor' ? 'an' : 'a'} ${role}`;

/** What a role allows, after "you" or "an editor". */
export const roleDescriptions: Record<ListRole, string> = {
  owner: 'can do everything, deleting the list included',
  admin: 'can change tasks, rename the list, invite people and manage viewers and editors',
  editor: 'can add, change, complete and delete tasks',
  viewer: 'can see the list and its tasks, but not change them',
};

const rank: Record<ListRole, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };
const atLeast = (role: ListRole, least: ListRole) => rank[role] >= rank[least];

/** Add, change, complete, move and delete tasks. */
export const canEditTasks = (role: ListRole) => atLeast(role, 'editor');
/** Rename and recolour the list; make, see and revoke invitation links. */
export const canManageList = (role: ListRole) => atLeast(role, 'admin');
export const canDeleteList = (role: ListRole) => role === 'owner';

/** The roles a link made by `role` may give: an admin's only by the owner. */
export function invitableRoles(role: ListRole): MemberRole[] {
  if (role === 'owner') return ['viewer', 'editor', 'admin'];
  if (role === 'admin') return ['viewer', 'editor'];
  return [];
}

/** Whether `role` may change the role of `member`, or remove them. */
export const canManageMember = (role: ListRole, member: MemberJson) =>
  member.role !== 'owner' && invitableRoles(role).includes(member.role);

/** Shared with the caller by someone else. */
export const sharedWithMe = (list: ListJson) => list.role !== 'owner';
/** The caller's own list, with at least one member besides them. */
export const sharedByMe = (list: ListJson) => list.role === 'owner' && list.member_count > 1;
