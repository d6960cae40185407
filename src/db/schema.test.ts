import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../test/support/factories.js';
import { insertTaskRow } from '../../test/support/task-rows.js';
import { countRows, openTestDatabase } from '../../test/support/test-database.js';
import type { TaskRow } from '../tasks/repository.js';
import type { Database, Queryable } from './database.js';

// The rules of the tasks table as the database itself enforces them, whatever path a row takes:
// plain SQL here, as a superuser (which bypasses row-level security).

async function updateTask(db: Queryable, id: number, set: string): Promise<TaskRow> {
  const rows = await db.query<TaskRow>(`UPDATE tasks SET ${set} WHERE id = $1 RETURNING *`, [id]);
  return rows[0]!;
}

const tags = (n: number) => Array.from({ length: n }, (_, i) => `tag-${i}`);
/** Lets the clock move past the millisecond the database keeps. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.each(['server', 'embedded'] as const)('tasks table on %s', (kind) => {
  let close: () => Promise<void>;
  let db: Database;
  let user: string;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    user = await insertUser(db);
  });
  afterAll(() => close());

  it.each<[string, Record<string, unknown>]>([
    ['a title of 200 characters, counted in code points', { title: '😀'.repeat(200) }],
    ['a description of 1000 characters', { description: 'é'.repeat(1000) }],
    ['status pending', { status: 'pending' }],
    ['status in_progress', { status: 'in_progress' }],
    ['status completed', { status: 'completed' }],
    ['priority 0', { priority: 0 }],
    ['priority 3', { priority: 3 }],
    ['10 tags', { tags: tags(10) }],
    ['a tag of 32 characters', { tags: ['ü'.repeat(32)] }],
  ])('accepts %s', async (_, columns) => {
    expect(await insertTaskRow(db, user, columns)).toMatchObject(columns);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a title of 201 characters', { title: '😀'.repeat(201) }, 'tasks_title_check'],
    ['an empty title', { title: '' }, 'tasks_title_check'],
    ...[' padded', 'padded ', '\tpadded', 'padded\n', '\u00a0padded'].map(
      (title): [string, Record<string, unknown>, string] => [
        `a title with white space around it (${JSON.stringify(title)})`,
        { title },
        'tasks_title_check',
      ],
    ),
    [
      'a description of 1001 characters',
      { description: 'é'.repeat(1001) },
      'tasks_description_check',
    ],
    ['status "done"', { status: 'done' }, 'tasks_status_check'],
    ['status "Completed"', { status: 'Completed' }, 'tasks_status_check'],
    ['an empty status', { status: '' }, 'tasks_status_check'],
    ['priority -1', { priority: -1 }, 'tasks_priority_check'],
    ['priority 4', { priority: 4 }, 'tasks_priority_check'],
    ['11 tags', { tags: tags(11) }, 'tasks_tags_check'],
    ['a tag of 33 characters', { tags: ['a'.repeat(33)] }, 'tasks_tags_check'],
    ['an empty tag', { tags: [''] }, 'tasks_tags_check'],
    ['an upper-case tag', { tags: ['Work'] }, 'tasks_tags_check'],
    ['a duplicate tag', { tags: ['work', 'home', 'work'] }, 'tasks_tags_check'],
    ['a tag with white space around it', { tags: [' work'] }, 'tasks_tags_check'],
    ['a null tag', { tags: [null] }, 'tasks_tags_check'],
  ])('rejects %s by its CHECK constraint', async (_, columns, constraint) => {
    await expect(insertTaskRow(db, user, columns)).rejects.toMatchObject({
      code: '23514',
      constraint,
    });
  });

  it('rejects a missing title', async () => {
    await expect(insertTaskRow(db, user, { title: null })).rejects.toMatchObject({ code: '23502' });
  });

  it('gives a task no tags by default', async () => {
    expect((await insertTaskRow(db, user)).tags).toEqual([]);
  });

  describe('completed', () => {
    it('cannot be written by an insert', async () => {
      await expect(insertTaskRow(db, user, { completed: true })).rejects.toMatchObject({
        code: '428C9',
      });
    });

    it('cannot be written by an update', async () => {
      const task = await insertTaskRow(db, user);
      await expect(updateTask(db, task.id, 'completed = true')).rejects.toMatchObject({
        code: '428C9',
      });
      expect((await updateTask(db, task.id, 'title = title')).completed).toBe(false);
    });

    it('follows the status', async () => {
      const task = await insertTaskRow(db, user, { status: 'completed' });
      expect(task.completed).toBe(true);
      expect((await updateTask(db, task.id, "status = 'in_progress'")).completed).toBe(false);
      expect((await updateTask(db, task.id, "status = 'completed'")).completed).toBe(true);
      expect((await updateTask(db, task.id, "status = 'pending'")).completed).toBe(false);
    });
  });

  describe('text containing NUL', () => {
    it.each(['title', 'description'])('is rejected in the %s and writes no row', async (column) => {
      const owner = await insertUser(db);
      await expect(
        insertTaskRow(db, owner, { [column]: 'before\u0000after' }),
      ).rejects.toMatchObject({
        code: '22021',
      });
      expect(await countRows(db, 'tasks', 'user_id = $1', [owner])).toBe(0);
    });
  });

  describe('triggers', () => {
    it('moves updated_at on every update, even one that sets it to an old value', async () => {
      const task = await insertTaskRow(db, user, { updated_at: '2000-01-01' });
      expect(task.updated_at).toEqual(task.created_at);
      await tick();
      const updated = await updateTask(db, task.id, "title = 'Renamed', updated_at = '2000-01-01'");
      expect(updated.updated_at.getTime()).toBeGreaterThan(task.updated_at.getTime());
      await tick();
      const again = await updateTask(db, task.id, "updated_at = '2000-01-01'");
      expect(again.updated_at.getTime()).toBeGreaterThan(updated.updated_at.getTime());
    });

    it('increments version by 1 on each update, a no-op update included', async () => {
      const task = await insertTaskRow(db, user, { version: 42 });
      expect(task.version).toBe(1);
      expect((await updateTask(db, task.id, "title = 'Renamed'")).version).toBe(2);
      expect((await updateTask(db, task.id, 'title = title')).version).toBe(3);
      expect((await updateTask(db, task.id, 'version = 100')).version).toBe(4);
    });

    it('sets completed_at when the task becomes completed, keeps it, clears it on leaving', async () => {
      const task = await insertTaskRow(db, user, { completed_at: '2000-01-01' });
      expect(task.completed_at).toBeNull();

      const done = await updateTask(db, task.id, "status = 'completed'");
      expect(done.completed_at).toBeInstanceOf(Date);
      expect(done.completed_at).toEqual(done.updated_at);

      await tick();
      const edited = await updateTask(db, task.id, "title = 'Renamed', completed_at = now()");
      expect(edited.status).toBe('completed');
      expect(edited.completed_at).toEqual(done.completed_at);
      const stillDone = await updateTask(db, task.id, "status = 'completed'");
      expect(stillDone.completed_at).toEqual(done.completed_at);

      const reopened = await updateTask(db, task.id, "status = 'in_progress'");
      expect(reopened.completed_at).toBeNull();
      expect(
        (await updateTask(db, task.id, "completed_at = '2000-01-01'")).completed_at,
      ).toBeNull();
    });

    it('sets completed_at on a task inserted as completed', async () => {
      const task = await insertTaskRow(db, user, { status: 'completed' });
      expect(task.completed_at).toEqual(task.created_at);
    });

    it('never changes created_at', async () => {
      const task = await insertTaskRow(db, user, { created_at: '2000-01-01' });
      expect(task.created_at.getFullYear()).toBeGreaterThan(2000);
      const updated = await updateTask(db, task.id, "created_at = '2000-01-01'");
      expect(updated.created_at).toEqual(task.created_at);
    });
  });

  describe('ids', () => {
    it('are not reused after the newest task is deleted', async () => {
      const first = await insertTaskRow(db, user);
      const newest = await insertTaskRow(db, user);
      expect(newest.id).toBeGreaterThan(first.id);
      await db.query('DELETE FROM tasks WHERE id = $1', [newest.id]);
      expect((await insertTaskRow(db, user)).id).toBeGreaterThan(newest.id);
    });

    it('are not reused after an insert is rolled back', async () => {
      const before = await insertTaskRow(db, user);
      let rolledBack = 0;
      await expect(
        db.transaction(async (tx) => {
          rolledBack = (await insertTaskRow(tx, user)).id;
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(rolledBack).toBeGreaterThan(before.id);
      const [row] = await db.query('SELECT 1 FROM tasks WHERE id = $1', [rolledBack]);
      expect(row).toBeUndefined();
      expect((await insertTaskRow(db, user)).id).toBeGreaterThan(rolledBack);
    });

    it('cannot be chosen by the client', async () => {
      await expect(insertTaskRow(db, user, { id: 1_000_000 })).rejects.toMatchObject({
        code: '428C9',
      });
    });
  });

  describe('deleting a user', () => {
    it('deletes their tasks and idempotency keys, and nobody else’s', async () => {
      const leaving = await insertUser(db);
      const staying = await insertUser(db);
      for (const owner of [leaving, staying]) {
        await insertTaskRow(db, owner);
        await insertTaskRow(db, owner, { status: 'completed' });
        await db.query(
          "INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES ($1, 'k-1', 'f-1')",
          [owner],
        );
      }
      await db.query('DELETE FROM users WHERE id = $1', [leaving]);

      const keys = (owner: string) =>
        db.query('SELECT key FROM idempotency_keys WHERE user_id = $1', [owner]);
      expect(await countRows(db, 'tasks', 'user_id = $1', [leaving])).toBe(0);
      expect(await keys(leaving)).toEqual([]);
      expect(await countRows(db, 'tasks', 'user_id = $1', [staying])).toBe(2);
      expect(await keys(staying)).toEqual([{ key: 'k-1' }]);
    });
  });

  describe('storage', () => {
    it('changes a status in place on a full page: a heap-only update, no index entry written', async () => {
      // A fresh user's 300 tasks fill several pages; each page keeps room for the next
      // version of its rows, so the first task's new status stays on its page.
      const owner = await insertUser(db);
      await db.query(
        `INSERT INTO tasks (user_id, title, position)
         SELECT $1, 'Task ' || g, position_key(g) FROM generate_series(1, 300) g`,
        [owner],
      );
      const [first] = await db.query<{ id: number; page: string }>(
        `SELECT id, (ctid::text::point)[0]::text AS page FROM tasks
          WHERE user_id = $1 ORDER BY id LIMIT 1`,
        [owner],
      );
      const [{ rows_on_page } = { rows_on_page: 0 }] = await db.query<{ rows_on_page: number }>(
        `SELECT count(*)::int AS rows_on_page FROM tasks
          WHERE (ctid::text::point)[0] = $1::int AND user_id = $2`,
        [first!.page, owner],
      );
      expect(rows_on_page).toBeGreaterThan(20);
      const hotUpdates = await db.transaction(async (tx) => {
        const count = async () =>
          (
            await tx.query<{ n: number }>(
              "SELECT pg_stat_get_xact_tuples_hot_updated('tasks'::regclass)::int AS n",
            )
          )[0]!.n;
        const before = await count();
        await updateTask(tx, first!.id, "status = 'completed'");
        return (await count()) - before;
      });
      expect(hotUpdates).toBe(1);
    });
  });

  describe('user_id', () => {
    it('must name an existing user', async () => {
      await expect(insertTaskRow(db, 'no-such-user')).rejects.toMatchObject({ code: '23503' });
    });
  });
});
