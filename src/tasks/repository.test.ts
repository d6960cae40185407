import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser, taskFields } from '../../test/support/factories.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { ListQuery } from './list-query.js';
import { TaskRepository } from './repository.js';

const firstPage = (overrides: Partial<ListQuery> = {}): ListQuery => ({
  limit: 20,
  sort: 'created_at',
  order: 'desc',
  filters: {},
  ...overrides,
});

// The same behaviour on the PostgreSQL server and on PGlite.
describe.each(['server', 'embedded'] as const)('TaskRepository on %s', (kind) => {
  let close: () => Promise<void>;
  let db: Database;
  let tasks: TaskRepository;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    tasks = new TaskRepository(db);
  });
  afterAll(() => close());

  it('creates a task with the defaults and reads it back', async () => {
    const user = await insertUser(db);
    const created = await tasks.create(user, taskFields({ title: 'Buy milk', tags: ['home'] }));
    expect(created).toMatchObject({
      userId: user,
      title: 'Buy milk',
      description: null,
      status: 'pending',
      completed: false,
      completedAt: null,
      priority: 'none',
      tags: ['home'],
      dueDate: null,
      version: 1,
    });
    expect(typeof created.id).toBe('number');
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await tasks.get(user, created.id)).toEqual(created);
  });

  it("never returns, changes or deletes another user's task", async () => {
    const alice = await insertUser(db);
    const bob = await insertUser(db);
    const task = await tasks.create(alice, taskFields());
    expect(await tasks.get(bob, task.id)).toBeUndefined();
    expect(await tasks.update(bob, task.id, { title: 'stolen' })).toBeUndefined();
    expect(await tasks.update(bob, task.id, { title: 'stolen' }, 1)).toBeUndefined();
    expect(await tasks.toggle(bob, task.id)).toBeUndefined();
    expect(await tasks.toggle(bob, task.id, 1)).toBeUndefined();
    expect(await tasks.delete(bob, task.id)).toBe(false);
    expect(await tasks.delete(bob, task.id, 1)).toBe(false);
    expect((await tasks.list(bob, firstPage())).tasks).toEqual([]);
    expect(await tasks.all(bob)).toEqual([]);
    expect((await tasks.counts(bob)).total).toBe(0);
    expect(await tasks.get(alice, task.id)).toEqual(task);
  });

  it('updates only the given fields and bumps the version', async () => {
    const user = await insertUser(db);
    const task = await tasks.create(user, taskFields({ description: 'keep me', priority: 'high' }));
    const updated = await tasks.update(user, task.id, {
      title: 'Renamed',
      dueDate: new Date('2030-01-02T03:04:05.678Z'),
    });
    expect(updated).toMatchObject({
      title: 'Renamed',
      description: 'keep me',
      priority: 'high',
      version: 2,
      dueDate: new Date('2030-01-02T03:04:05.678Z'),
    });
    const cleared = await tasks.update(user, task.id, { description: null, dueDate: null });
    expect(cleared).toMatchObject({ description: null, dueDate: null, version: 3 });
  });

  it('refuses a write at a stale version and applies it at the current one', async () => {
    const user = await insertUser(db);
    const task = await tasks.create(user, taskFields());
    await expect(tasks.update(user, task.id, { title: 'x' }, 7)).rejects.toMatchObject({
      code: 'version_mismatch',
    });
    await expect(tasks.toggle(user, task.id, 7)).rejects.toMatchObject({
      code: 'version_mismatch',
    });
    await expect(tasks.delete(user, task.id, 7)).rejects.toMatchObject({
      code: 'version_mismatch',
    });
    expect(await tasks.update(user, task.id, { title: 'x' }, 1)).toMatchObject({
      title: 'x',
      version: 2,
    });
    expect(await tasks.delete(user, task.id, 2)).toBe(true);
    expect(await tasks.get(user, task.id)).toBeUndefined();
  });

  it('toggles completed and pending, setting and clearing completed_at', async () => {
    const user = await insertUser(db);
    const task = await tasks.create(user, taskFields({ status: 'in_progress' }));
    const done = await tasks.toggle(user, task.id);
    expect(done).toMatchObject({ status: 'completed', completed: true, version: 2 });
    expect(done?.completedAt).toBeInstanceOf(Date);
    const again = await tasks.toggle(user, task.id);
    expect(again).toMatchObject({
      status: 'pending',
      completed: false,
      completedAt: null,
      version: 3,
    });
  });

  it('counts tasks by status and overdue', async () => {
    const user = await insertUser(db);
    const past = new Date(Date.now() - 86_400_000);
    await tasks.create(user, taskFields({ dueDate: past }));
    await tasks.create(user, taskFields({ status: 'in_progress' }));
    await tasks.create(user, taskFields({ status: 'completed', dueDate: past }));
    expect(await tasks.counts(user)).toEqual({
      total: 3,
      pending: 1,
      inProgress: 1,
      completed: 1,
      overdue: 1,
    });
  });

  it('replays an idempotent create and refuses the key with another request', async () => {
    const user = await insertUser(db);
    const key = { key: 'k-1', fingerprint: 'f-1' };
    const first = await tasks.create(user, taskFields({ title: 'Once' }), key);
    const again = await tasks.create(user, taskFields({ title: 'Once' }), key);
    expect(again).toEqual(first);
    expect((await tasks.all(user)).length).toBe(1);
    await expect(
      tasks.create(user, taskFields({ title: 'Other' }), { key: 'k-1', fingerprint: 'f-2' }),
    ).rejects.toBeInstanceOf(AppError);
    // Keys are per user: another user may use the same key.
    const other = await insertUser(db);
    expect((await tasks.create(other, taskFields(), key)).userId).toBe(other);
  });

  it('refuses a write for a user that no longer exists', async () => {
    await expect(tasks.create('no-such-user', taskFields())).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('filters by status, completed, priority, tags, text and due dates', async () => {
    const user = await insertUser(db);
    const a = await tasks.create(
      user,
      taskFields({ title: 'Alpha report', tags: ['work', 'q1'], priority: 'high' }),
    );
    const b = await tasks.create(
      user,
      taskFields({ title: 'beta', description: 'the REPORT draft', tags: ['work'] }),
    );
    const c = await tasks.create(
      user,
      taskFields({
        title: '100% done_',
        status: 'completed',
        dueDate: new Date('2031-05-01T00:00:00Z'),
      }),
    );
    const ids = async (filters: ListQuery['filters']) =>
      (await tasks.list(user, firstPage({ filters }))).tasks.map((t) => t.id).sort();
    expect(await ids({ status: 'completed' })).toEqual([c.id]);
    expect(await ids({ completed: false })).toEqual([a.id, b.id].sort());
    expect(await ids({ priority: 'high' })).toEqual([a.id]);
    expect(await ids({ tags: ['work', 'q1'] })).toEqual([a.id]);
    expect(await ids({ tags: ['work'] })).toEqual([a.id, b.id].sort());
    expect(await ids({ q: 'report' })).toEqual([a.id, b.id].sort());
    expect(await ids({ q: '%' })).toEqual([c.id]);
    expect(await ids({ q: '_' })).toEqual([c.id]);
    expect(await ids({ dueBefore: new Date('2032-01-01T00:00:00Z') })).toEqual([c.id]);
    expect(await ids({ dueAfter: new Date('2032-01-01T00:00:00Z') })).toEqual([]);
  });

  it('pages through every sort with no duplicate and no gap', async () => {
    const user = await insertUser(db);
    for (let i = 0; i < 23; i++) {
      await tasks.create(
        user,
        taskFields({
          title: `Task ${String(i % 7).padStart(2, '0')}`,
          priority: (['none', 'low', 'medium', 'high'] as const)[i % 4]!,
          dueDate: i % 3 === 0 ? null : new Date(Date.UTC(2030, 0, 1 + (i % 5))),
        }),
      );
    }
    for (const sort of ['created_at', 'updated_at', 'due_date', 'priority', 'title'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const seen: number[] = [];
        let query = firstPage({ sort, order, limit: 4 });
        for (let pages = 0; pages < 20; pages++) {
          const page = await tasks.list(user, query);
          seen.push(...page.tasks.map((t) => t.id));
          if (!page.next) break;
          // Round-trip through the opaque cursor, as a client would.
          const cursor = encodeCursor(query, page.next);
          query = { ...query, after: decodeCursor(cursor, query) };
        }
        expect(new Set(seen).size, `${sort} ${order}`).toBe(23);
        const all = (await tasks.list(user, firstPage({ sort, order, limit: 100 }))).tasks.map(
          (t) => t.id,
        );
        expect(seen, `${sort} ${order}`).toEqual(all);
        if (sort === 'due_date') {
          const dated = (await tasks.list(user, firstPage({ sort, order, limit: 100 }))).tasks;
          expect(dated.at(-1)?.dueDate, 'undated tasks come last').toBeNull();
        }
      }
    }
  });

  it('refuses a cursor made for another sort or filter', async () => {
    const query = firstPage();
    const cursor = encodeCursor(query, { value: new Date().toISOString(), id: 1 });
    expect(() => decodeCursor(cursor, { ...query, sort: 'title', order: 'asc' })).toThrow(AppError);
    expect(() => decodeCursor(cursor, { ...query, filters: { status: 'pending' } })).toThrow(
      AppError,
    );
    expect(() => decodeCursor('garbage!', query)).toThrow(AppError);
    expect(decodeCursor(cursor, query).id).toBe(1);
  });
});
