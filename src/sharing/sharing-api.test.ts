import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { expectProblem, listKeys, readTask, readTasks } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import type { ListJson } from '../lists/list-json.js';
import type { TaskJson } from '../tasks/task-json.js';
import type {
  CreatedInvitationJson,
  InvitationJson,
  InvitationPreviewJson,
  MemberJson,
} from './schemas.js';

// Sharing through the HTTP API: invitation links and their limits, members and roles, that
// losing access takes effect on the very next request (with a token issued before), the
// assignee and the creator of a task, accounts that go, and the export.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

async function ok<T>(response: Promise<Response> | Response, status = 200): Promise<T> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

const newList = (owner: TestUser, name = 'Groceries') =>
  ok<ListJson>(api.json('POST', '/api/lists', owner, { name }), 201);
const invite = (list: number, by: TestUser, body: Record<string, unknown>) =>
  ok<CreatedInvitationJson>(api.json('POST', `/api/lists/${list}/invitations`, by, body), 201);
const accept = (token: string, user: TestUser) =>
  api.json('POST', `/api/invitations/${token}/accept`, user);
const preview = (token: string, user: TestUser) =>
  api.json('GET', `/api/invitations/${token}`, user);
const members = (list: number, user: TestUser) =>
  ok<MemberJson[]>(api.json('GET', `/api/lists/${list}/members`, user));
const createTask = (user: TestUser, body: Record<string, unknown>) =>
  ok<TaskJson>(api.json('POST', '/api/tasks', user, body), 201);

/** Owner's new list, which `member` joined with `role`. */
async function sharedList(owner: TestUser, member: TestUser, role = 'editor') {
  const list = await newList(owner);
  const { token } = await invite(list.id, owner, { role });
  await ok(accept(token, member));
  return list;
}

describe('invitation links', () => {
  it('answers 201 with the token once, a link to the web app, one use and a week to live', async () => {
    const owner = await buildUser(api);
    const list = await newList(owner);
    const response = await api.json('POST', `/api/lists/${list.id}/invitations`, owner, {
      role: 'editor',
    });
    const created = await ok<CreatedInvitationJson>(response.clone(), 201);
    expect(response.headers.get('location')).toBe(
      `/api/lists/${list.id}/invitations/${created.id}`,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(created).toMatchObject({ role: 'editor', uses: 0, max_uses: 1 });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.url).toBe(`${BASE_URL}/invite/${created.token}`);
    const hours = (Date.parse(created.expires_at) - Date.parse(created.created_at)) / 3_600_000;
    expect(hours).toBe(168);
    // Listed without its token or link.
    const listed = await ok<InvitationJson[]>(
      api.json('GET', `/api/lists/${list.id}/invitations`, owner),
    );
    expect(listed).toEqual([
      {
        id: created.id,
        role: 'editor',
        expires_at: created.expires_at,
        uses: 0,
        max_uses: 1,
        created_at: created.created_at,
      },
    ]);
  });

  it('shows what it offers before joining, then joins with its role', async () => {
    const owner = await buildUser(api, { name: 'Olga' });
    const guest = await buildUser(api);
    const list = await newList(owner, 'Holiday');
    const { token } = await invite(list.id, owner, { role: 'viewer' });
    expect(await ok<InvitationPreviewJson>(preview(token, guest))).toEqual({
      list: { id: list.id, name: 'Holiday' },
      role: 'viewer',
      invited_by: { name: 'Olga' },
    });
    const joined = await ok<ListJson>(accept(token, guest));
    expect(Object.keys(joined).sort()).toEqual(listKeys);
    expect(joined).toMatchObject({
      id: list.id,
      role: 'viewer',
      owner_id: owner.id,
      member_count: 2,
    });
    const theirs = await ok<ListJson[]>(api.json('GET', '/api/lists', guest));
    expect(theirs.map((l) => [l.name, l.role])).toEqual([
      ['Inbox', 'owner'],
      ['Holiday', 'viewer'],
    ]);
  });

  it('is used up after max_uses people; accepting again uses nothing', async () => {
    const owner = await buildUser(api);
    const [a, b, c] = await Promise.all([buildUser(api), buildUser(api), buildUser(api)]);
    const list = await newList(owner);
    const { token, id } = await invite(list.id, owner, { role: 'editor', max_uses: 2 });
    await ok(accept(token, a!));
    await ok(accept(token, a!));
    await ok(accept(token, owner));
    const [listed] = await ok<InvitationJson[]>(
      api.json('GET', `/api/lists/${list.id}/invitations`, owner),
    );
    expect(listed).toMatchObject({ id, uses: 1 });
    await ok(accept(token, b!));
    await expectProblem(await accept(token, c!), 404, 'invitation_not_found');
    await expectProblem(await preview(token, c!), 404, 'invitation_not_found');
    expect(
      await ok<InvitationJson[]>(api.json('GET', `/api/lists/${list.id}/invitations`, owner)),
    ).toEqual([]);
    expect((await members(list.id, owner)).map((m) => m.role).sort()).toEqual([
      'editor',
      'editor',
      'owner',
    ]);
  });

  it('lets exactly one of two people take the last use at once', async () => {
    const owner = await buildUser(api);
    const [a, b] = await Promise.all([buildUser(api), buildUser(api)]);
    const list = await newList(owner);
    const { token } = await invite(list.id, owner, { role: 'viewer' });
    const statuses = (await Promise.all([accept(token, a!), accept(token, b!)])).map(
      (r) => r.status,
    );
    expect(statuses.sort()).toEqual([200, 404]);
    expect(await members(list.id, owner)).toHaveLength(2);
  });

  it('keeps a higher role already held, and raises a lower one', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member, 'editor');
    const viewerLink = await invite(list.id, owner, { role: 'viewer' });
    expect(await ok<ListJson>(accept(viewerLink.token, member))).toMatchObject({ role: 'editor' });
    const adminLink = await invite(list.id, owner, { role: 'admin' });
    expect(await ok<ListJson>(accept(adminLink.token, member))).toMatchObject({ role: 'admin' });
    // The owner stays the owner.
    const ownLink = await invite(list.id, owner, { role: 'viewer' });
    expect(await ok<ListJson>(accept(ownLink.token, owner))).toMatchObject({ role: 'owner' });
  });

  it('answers 404 alike for unknown, expired, used-up and revoked tokens', async () => {
    const owner = await buildUser(api);
    const guest = await buildUser(api);
    const list = await newList(owner);
    const expired = await invite(list.id, owner, { role: 'viewer', expires_in_hours: 1 });
    await api.database.db.query(
      "UPDATE list_invitations SET expires_at = now() - interval '1 second' WHERE id = $1",
      [expired.id],
    );
    const revoked = await invite(list.id, owner, { role: 'viewer' });
    await ok(api.json('DELETE', `/api/lists/${list.id}/invitations/${revoked.id}`, owner), 204);
    const usedUp = await invite(list.id, owner, { role: 'viewer' });
    await ok(accept(usedUp.token, await buildUser(api)));
    const bodies = [];
    for (const token of ['A'.repeat(43), expired.token, revoked.token, usedUp.token]) {
      for (const response of [await preview(token, guest), await accept(token, guest)]) {
        const problem = await expectProblem(response, 404, 'invitation_not_found');
        bodies.push({ ...problem, request_id: undefined });
      }
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect((await ok<ListJson[]>(api.json('GET', '/api/lists', guest))).map((l) => l.name)).toEqual(
      ['Inbox'],
    );
  });

  it('refuses to share the Inbox (409) and bad bodies (422)', async () => {
    const owner = await buildUser(api);
    const inbox = (await ok<ListJson[]>(api.json('GET', '/api/lists', owner)))[0]!;
    await expectProblem(
      await api.json('POST', `/api/lists/${inbox.id}/invitations`, owner, { role: 'viewer' }),
      409,
      'inbox_protected',
    );
    const list = await newList(owner);
    for (const body of [
      { role: 'owner' },
      { role: 'viewer', max_uses: 0 },
      { role: 'viewer', max_uses: 1001 },
      { role: 'viewer', expires_in_hours: 721 },
      { role: 'viewer', email: 'someone@example.test' },
    ]) {
      await expectProblem(
        await api.json('POST', `/api/lists/${list.id}/invitations`, owner, body),
        422,
        'validation_failed',
      );
    }
    expect(
      await ok<InvitationJson[]>(api.json('GET', `/api/lists/${list.id}/invitations`, owner)),
    ).toEqual([]);
  });

  it('lets an admin see and revoke only the links for viewers and editors', async () => {
    const owner = await buildUser(api);
    const admin = await buildUser(api);
    const list = await sharedList(owner, admin, 'admin');
    const forAdmin = await invite(list.id, owner, { role: 'admin' });
    const forViewer = await invite(list.id, admin, { role: 'viewer' });
    const seen = await ok<InvitationJson[]>(
      api.json('GET', `/api/lists/${list.id}/invitations`, admin),
    );
    expect(seen.map((i) => i.id)).toEqual([forViewer.id]);
    await expectProblem(
      await api.json('DELETE', `/api/lists/${list.id}/invitations/${forAdmin.id}`, admin),
      404,
      'invitation_not_found',
    );
    expect(
      (await ok<InvitationJson[]>(api.json('GET', `/api/lists/${list.id}/invitations`, owner)))
        .map((i) => i.id)
        .sort(),
    ).toEqual([forAdmin.id, forViewer.id].sort());
  });
});

describe('members', () => {
  it('lists everyone with access, the owner first, with names and no emails', async () => {
    const owner = await buildUser(api, { name: 'Zed Owner' });
    const editor = await buildUser(api, { name: 'Amy' });
    const list = await sharedList(owner, editor, 'editor');
    const listed = await members(list.id, editor);
    expect(listed.map((m) => [m.name, m.role])).toEqual([
      ['Zed Owner', 'owner'],
      ['Amy', 'editor'],
    ]);
    for (const member of listed) {
      expect(Object.keys(member).sort()).toEqual(['joined_at', 'name', 'role', 'user_id']);
    }
    expect(JSON.stringify(listed)).not.toContain('@');
  });

  it("changes a member's role, but never the owner's", async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member, 'viewer');
    const changed = await ok<MemberJson>(
      api.json('PATCH', `/api/lists/${list.id}/members/${member.id}`, owner, { role: 'admin' }),
    );
    expect(changed).toMatchObject({ user_id: member.id, role: 'admin' });
    await expectProblem(
      await api.json('PATCH', `/api/lists/${list.id}/members/${owner.id}`, owner, {
        role: 'viewer',
      }),
      409,
      'owner_role_fixed',
    );
    await expectProblem(
      await api.json('PATCH', `/api/lists/${list.id}/members/${owner.id}`, member, {
        role: 'viewer',
      }),
      403,
      'insufficient_role',
    );
    await expectProblem(
      await api.json('PATCH', `/api/lists/${list.id}/members/nobody`, owner, { role: 'viewer' }),
      404,
      'member_not_found',
    );
  });
});

describe('losing access takes effect on the next request, with a token issued before', () => {
  async function editorWithTask() {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member, 'editor');
    const task = await createTask(member, { title: 'Mine', list_id: list.id });
    await ok(api.json('GET', `/api/tasks/${task.id}`, member));
    return { owner, member, list, task };
  }

  async function expectLockedOut(member: TestUser, list: number, task: number) {
    await expectProblem(await api.json('GET', `/api/lists/${list}`, member), 404, 'list_not_found');
    await expectProblem(await api.json('GET', `/api/tasks/${task}`, member), 404, 'task_not_found');
    await expectProblem(
      await api.json('PATCH', `/api/tasks/${task}`, member, { title: 'Still mine?' }),
      404,
      'task_not_found',
    );
    await expectProblem(
      await api.json('GET', `/api/tasks?list_id=${list}`, member),
      404,
      'list_not_found',
    );
    const everything = await readTasks(await api.json('GET', '/api/tasks', member));
    expect(everything.map((t) => t.id)).not.toContain(task);
  }

  it('when the member is removed', async () => {
    const { owner, member, list, task } = await editorWithTask();
    await ok(api.json('DELETE', `/api/lists/${list.id}/members/${member.id}`, owner), 204);
    await expectLockedOut(member, list.id, task.id);
  });

  it('when the member leaves', async () => {
    const { member, list, task } = await editorWithTask();
    await ok(api.json('DELETE', `/api/lists/${list.id}/members/${member.id}`, member), 204);
    await expectLockedOut(member, list.id, task.id);
  });

  it('when the list is deleted', async () => {
    const { owner, member, list, task } = await editorWithTask();
    await ok(api.json('DELETE', `/api/lists/${list.id}`, owner), 204);
    await expectLockedOut(member, list.id, task.id);
  });

  it('when the member is made a viewer: reads work, writes are 403', async () => {
    const { owner, member, list, task } = await editorWithTask();
    await ok(
      api.json('PATCH', `/api/lists/${list.id}/members/${member.id}`, owner, { role: 'viewer' }),
    );
    await ok(api.json('GET', `/api/tasks/${task.id}`, member));
    await expectProblem(
      await api.json('PATCH', `/api/tasks/${task.id}/complete`, member),
      403,
      'insufficient_role',
    );
    expect((await readTask(await api.json('GET', `/api/tasks/${task.id}`, owner))).status).toBe(
      'pending',
    );
  });
});

describe('tasks of a shared list', () => {
  it("belong to the list's owner and name their creator", async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member);
    const task = await createTask(member, { title: 'By the member', list_id: list.id });
    expect(task).toMatchObject({ user_id: owner.id, created_by: member.id, list_id: list.id });
    const own = await createTask(owner, { title: 'By the owner', list_id: list.id });
    expect(own).toMatchObject({ user_id: owner.id, created_by: owner.id });
  });

  it('appear in the member’s task list and counts beside their own', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member, 'viewer');
    const shared = await createTask(owner, { title: 'Shared', list_id: list.id });
    const mine = await createTask(member, { title: 'Mine' });
    const all = await readTasks(await api.json('GET', '/api/tasks', member));
    expect(all.map((t) => t.id)).toEqual([mine.id, shared.id]);
    const filtered = await readTasks(
      await api.json('GET', '/api/tasks?q=Shared&sort=title&order=asc', member),
    );
    expect(filtered.map((t) => t.id)).toEqual([shared.id]);
    const me = await ok<{ counts: { total: number } }>(api.json('GET', '/api/me', member));
    expect(me.counts.total).toBe(2);
  });

  it('take an assignee who is a member (422 otherwise), found with assignee=me', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const stranger = await buildUser(api);
    const list = await sharedList(owner, member);
    await expectProblem(
      await api.json('POST', '/api/tasks', owner, {
        title: 'For a stranger',
        list_id: list.id,
        assignee_id: stranger.id,
      }),
      422,
      'assignee_not_member',
    );
    const task = await createTask(owner, {
      title: 'For the member',
      list_id: list.id,
      assignee_id: member.id,
    });
    expect(task.assignee_id).toBe(member.id);
    const toOwner = await createTask(member, {
      title: 'For the owner',
      list_id: list.id,
      assignee_id: owner.id,
    });
    await createTask(member, { title: 'For nobody', list_id: list.id });
    const assigned = await readTasks(await api.json('GET', '/api/tasks?assignee=me', member));
    expect(assigned.map((t) => t.id)).toEqual([task.id]);
    const ownersAssigned = await readTasks(await api.json('GET', '/api/tasks?assignee=me', owner));
    expect(ownersAssigned.map((t) => t.id)).toEqual([toOwner.id]);
    await expectProblem(
      await api.json('PATCH', `/api/tasks/${task.id}`, owner, { assignee_id: stranger.id }),
      422,
      'assignee_not_member',
    );
    expect(
      (await readTask(await api.json('GET', `/api/tasks/${task.id}`, owner))).assignee_id,
    ).toBe(member.id);
    const cleared = await readTask(
      await api.json('PATCH', `/api/tasks/${task.id}`, owner, { assignee_id: null }),
    );
    expect(cleared.assignee_id).toBeNull();
  });

  it('lose an assignee who leaves, and one who cannot read the list a task moves to', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member);
    const other = await newList(owner, 'Private');
    const staying = await createTask(owner, {
      title: 'Moves',
      list_id: list.id,
      assignee_id: member.id,
    });
    const moved = await readTask(
      await api.json('POST', `/api/tasks/${staying.id}/move`, owner, { list_id: other.id }),
    );
    expect(moved.assignee_id).toBeNull();
    const leaving = await createTask(owner, {
      title: 'Stays',
      list_id: list.id,
      assignee_id: member.id,
    });
    await ok(api.json('DELETE', `/api/lists/${list.id}/members/${member.id}`, member), 204);
    expect(
      (await readTask(await api.json('GET', `/api/tasks/${leaving.id}`, owner))).assignee_id,
    ).toBeNull();
  });

  it('become the new owner’s, subtasks included, when moved into another owner’s list', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member);
    const parent = await createTask(member, { title: 'Parent' });
    const child = await createTask(member, { title: 'Child', parent_id: parent.id });
    const moved = await readTask(
      await api.json('POST', `/api/tasks/${parent.id}/move`, member, { list_id: list.id }),
    );
    expect(moved).toMatchObject({ list_id: list.id, user_id: owner.id, created_by: member.id });
    const movedChild = await readTask(await api.json('GET', `/api/tasks/${child.id}`, owner));
    expect(movedChild).toMatchObject({ list_id: list.id, user_id: owner.id, parent_id: parent.id });
  });
});

describe('accounts', () => {
  const deleteAccount = (user: TestUser) =>
    api.json('DELETE', '/api/me', user, { password: user.password });

  it('a member who deletes their account leaves their tasks behind, by nobody', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member);
    const task = await createTask(member, {
      title: 'Left behind',
      list_id: list.id,
      assignee_id: member.id,
    });
    await ok(deleteAccount(member), 204);
    const kept = await readTask(await api.json('GET', `/api/tasks/${task.id}`, owner));
    expect(kept).toMatchObject({ title: 'Left behind', created_by: null, assignee_id: null });
    expect((await members(list.id, owner)).map((m) => m.role)).toEqual(['owner']);
  });

  it('an owner who deletes their account takes their lists with them', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member);
    const task = await createTask(member, { title: 'Gone too', list_id: list.id });
    await ok(deleteAccount(owner), 204);
    await expectProblem(await api.json('GET', `/api/lists/${list.id}`, member), 404);
    await expectProblem(await api.json('GET', `/api/tasks/${task.id}`, member), 404);
    expect(
      (await ok<ListJson[]>(api.json('GET', '/api/lists', member))).map((l) => l.name),
    ).toEqual(['Inbox']);
  });

  it('the export holds the lists shared with the user, marked, their tasks and memberships', async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await sharedList(owner, member, 'viewer');
    const shared = await createTask(owner, { title: 'Shared task', list_id: list.id });
    const mine = await createTask(member, { title: 'My task' });
    const document = await ok<{
      lists: ListJson[];
      memberships: { list_id: number; role: string; joined_at: string }[];
      tasks: TaskJson[];
    }>(api.json('GET', '/api/me/export', member));
    expect(document.lists.map((l) => [l.name, l.role])).toEqual([
      ['Inbox', 'owner'],
      ['Groceries', 'viewer'],
    ]);
    expect(document.memberships).toEqual([
      { list_id: list.id, role: 'viewer', joined_at: expect.any(String) },
    ]);
    expect(document.tasks.map((t) => t.id).sort()).toEqual([mine.id, shared.id].sort());
    // The owner's export is unchanged by the share: their tasks, no memberships.
    const owners = await ok<{ memberships: unknown[]; tasks: TaskJson[] }>(
      api.json('GET', '/api/me/export', owner),
    );
    expect(owners.memberships).toEqual([]);
    expect(owners.tasks.map((t) => t.id)).toEqual([shared.id]);
  });
});
