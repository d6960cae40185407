import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertList, insertUser, taskFields } from '../../test/support/factories.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database } from '../db/database.js';
import { ListRepository } from '../lists/repository.js';
import { TaskRepository } from '../tasks/repository.js';
import { SharingRepository } from './repository.js';

// Sharing behaves the same on the PostgreSQL server and on PGlite. The embedded database
// connects as a superuser, whom row-level security does not bind: there, the functions' own
// conditions are all that keeps a stranger out, so this suite runs as that superuser too.

const digest = (token: string) => createHash('sha256').update(token).digest();

describe.each(['server', 'embedded'] as const)('sharing on %s, as a superuser', (kind) => {
  let close: () => Promise<void>;
  let db: Database;
  let sharing: SharingRepository;
  let tasks: TaskRepository;
  let lists: ListRepository;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    sharing = new SharingRepository(db);
    tasks = new TaskRepository(db);
    lists = new ListRepository(db);
  });
  afterAll(() => close());

  it('lets a member in by a link, and nobody else', async () => {
    const [owner, member, stranger] = [
      await insertUser(db),
      await insertUser(db),
      await insertUser(db),
    ];
    const list = await insertList(db, owner);
    const task = await tasks.create(owner, taskFields({ title: 'Shared' }), undefined, {
      listId: list,
    });
    const token = randomBytes(32).toString('base64url');
    await sharing.createInvitation(owner, list, {
      role: 'editor',
      maxUses: 1,
      expiresInHours: 1,
      tokenHash: digest(token),
    });
    expect(await sharing.preview(stranger, digest(`${token}x`))).toBeUndefined();
    expect((await sharing.accept(member, digest(token)))?.role).toBe('editor');
    expect(await sharing.accept(stranger, digest(token))).toBeUndefined();

    expect(await tasks.get(member, task.id)).toMatchObject({ title: 'Shared' });
    expect(await tasks.get(stranger, task.id)).toBeUndefined();
    expect(await tasks.update(stranger, task.id, { title: 'Taken' })).toBeUndefined();
    expect(await tasks.delete(stranger, task.id)).toBe(false);
    await expect(tasks.list(stranger, page(list))).rejects.toMatchObject({
      code: 'list_not_found',
    });
    expect((await tasks.list(stranger, page())).tasks).toEqual([]);
    expect(await lists.get(stranger, list)).toBeUndefined();
    await expect(sharing.members(stranger, list)).rejects.toMatchObject({
      code: 'list_not_found',
    });
    expect((await lists.all(member)).map((l) => l.role)).toEqual(['owner', 'editor']);
    expect((await tasks.list(member, page())).tasks.map((t) => t.id)).toEqual([task.id]);
  });

  it('unassigns a member who leaves, and refuses an assignee who is not one', async () => {
    const [owner, member, stranger] = [
      await insertUser(db),
      await insertUser(db),
      await insertUser(db),
    ];
    const list = await insertList(db, owner);
    const token = randomBytes(32).toString('base64url');
    await sharing.createInvitation(owner, list, {
      role: 'viewer',
      maxUses: 1,
      expiresInHours: 1,
      tokenHash: digest(token),
    });
    await sharing.accept(member, digest(token));
    await expect(
      tasks.create(owner, taskFields({ assigneeId: stranger }), undefined, { listId: list }),
    ).rejects.toMatchObject({ code: 'assignee_not_member' });
    const task = await tasks.create(owner, taskFields({ assigneeId: member }), undefined, {
      listId: list,
    });
    expect(task.assigneeId).toBe(member);
    await expect(tasks.toggle(member, task.id)).rejects.toMatchObject({
      code: 'insufficient_role',
    });
    await sharing.removeMember(member, list, member);
    expect((await tasks.get(owner, task.id))?.assigneeId).toBeNull();
    expect(await tasks.get(member, task.id)).toBeUndefined();
  });
});

function page(listId?: number) {
  return {
    limit: 20,
    sort: 'created_at' as const,
    order: 'desc' as const,
    filters: listId === undefined ? {} : { listId },
  };
}
