import { describe, expect, it } from 'vitest';
import type { ListRole, MemberJson } from '../api/types';
import { canEditTasks, canManageList, canManageMember, invitableRoles } from './roles';

const roles: ListRole[] = ['viewer', 'editor', 'admin', 'owner'];

const member = (role: MemberJson['role']): MemberJson => ({
  user_id: `u-${role}`,
  name: role,
  role,
  joined_at: '2026-01-01T00:00:00.000Z',
});

describe('the roles of a shared list', () => {
  it('lets editors and above change tasks, admins and above manage the list', () => {
    expect(roles.map(canEditTasks)).toEqual([false, true, true, true]);
    expect(roles.map(canManageList)).toEqual([false, false, true, true]);
  });

  it('lets only the owner invite or manage admins', () => {
    expect(invitableRoles('owner')).toEqual(['viewer', 'editor', 'admin']);
    expect(invitableRoles('admin')).toEqual(['viewer', 'editor']);
    expect(invitableRoles('editor')).toEqual([]);
    expect(canManageMember('owner', member('admin'))).toBe(true);
    expect(canManageMember('admin', member('admin'))).toBe(false);
    expect(canManageMember('admin', member('editor'))).toBe(true);
    expect(canManageMember('editor', member('viewer'))).toBe(false);
  });

  it('never offers to change or remove the owner', () => {
    expect(canManageMember('owner', member('owner'))).toBe(false);
    expect(canManageMember('admin', member('owner'))).toBe(false);
  });
});
