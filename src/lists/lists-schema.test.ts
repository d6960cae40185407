import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf, insertList, insertUser } from '../../test/support/factories.js';
import { insertRow } from '../../test/support/rows.js';
import { insertTaskRow } from '../../test/support/task-rows.js';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database, Queryable } from '../db/database.js';

// The rules of the lists table as the database itself enforces them, whatever path a row
// takes: plain SQL as a superuser, and the list functions where the rule is theirs.

interface ListRow {
  [key: string]: unknown;
  id: number;
  owner_id: string;
  name: string;
  color: string | null;
  inbox: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function insertListRow(
  db: Queryable,
  ownerId: string,
  columns: Record<string, unknown> = {},
): Promise<ListRow> {
  return insertRow<ListRow>(db, 'lists', { owner_id: ownerId, name: 'Groceries', ...columns });
}

async function updateList(db: Queryable, id: number, set: string): Promise<ListRow> {
  const [row] = await db.query<ListRow>(`UPDATE lists SET ${set} WHERE id = $1 RETURNING *`, [id]);
  return row!;
}

async function listsOf(db: Queryable, ownerId: string): Promise<ListRow[]> {
  return db.query<ListRow>('SELECT * FROM lists WHERE owner_id = $1 ORDER BY id', [ownerId]);
}

const checkViolation = (constraint: string) => ({ code: '23514', constraint });
const inboxProtected = { code: 'TDI01' };
/** Lets the clock move past the millisecond the database keeps. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.each(['server', 'embedded'] as const)('lists table on %s', (kind) => {
  let close: () => Promise<void>;
  let db: Database;
  let user: string;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    user = await insertUser(db);
  });
  afterAll(() => close());

  describe('name', () => {
    it('accepts 100 characters, counted in code points', async () => {
      const name = '😀'.repeat(100);
      expect((await insertListRow(db, user, { name })).name).toBe(name);
    });

    it.each([
      ['101 characters', '😀'.repeat(101)],
      ['an empty name', ''],
      ['a leading space', ' Groceries'],
      ['a trailing space', 'Groceries '],
      ['a leading tab', '\tGroceries'],
      ['a trailing new line', 'Groceries\n'],
      ['a vertical tab', '\u000bGroceries'],
      ['a no-break space', 'Groceries\u00a0'],
    ])('rejects %s', async (_, name) => {
      await expect(insertListRow(db, user, { name })).rejects.toMatchObject(
        checkViolation('lists_name_check'),
      );
    });

    it('rejects a missing name', async () => {
      await expect(insertListRow(db, user, { name: null })).rejects.toMatchObject({
        code: '23502',
      });
    });

    it('is checked on update too', async () => {
      const list = await insertListRow(db, user);
      await expect(updateList(db, list.id, "name = ' Padded'")).rejects.toMatchObject(
        checkViolation('lists_name_check'),
      );
    });
  });

  describe('color', () => {
    it.each([null, '#1e90ff', '#000000'])('accepts %j', async (color) => {
      expect((await insertListRow(db, user, { color })).color).toBe(color);
    });

    it.each(['#1E90FF', '1e90ff', '#1e90f', '#1e90ff0', '#1e90fg', 'blue', ''])(
      'rejects %j',
      async (color) => {
        await expect(insertListRow(db, user, { color })).rejects.toMatchObject(
          checkViolation('lists_color_check'),
        );
      },
    );
  });

  describe('the Inbox', () => {
    it('comes with the account: exactly one, named Inbox, with no colour', async () => {
      const owner = await insertUser(db);
      const lists = await listsOf(db, owner);
      expect(
        lists.map(({ name, color, inbox, version }) => ({ name, color, inbox, version })),
      ).toEqual([{ name: 'Inbox', color: null, inbox: true, version: 1 }]);
    });

    it('is made in the same transaction as the account: a rollback leaves no list', async () => {
      let rolledBack = '';
      await expect(
        db.transaction(async (tx) => {
          rolledBack = await insertUser(tx);
          expect(await listsOf(tx, rolledBack)).toHaveLength(1);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await listsOf(db, rolledBack)).toEqual([]);
      const committed = await db.transaction((tx) => insertUser(tx));
      expect((await listsOf(db, committed)).map((l) => l.inbox)).toEqual([true]);
    });

    it('is made whoever inserts the account, leaving app.user_id as it was', async () => {
      const setting = (tx: Queryable) =>
        tx.query<{ value: string | null }>("SELECT current_setting('app.user_id', true) AS value");
      await db.transaction(async (tx) => {
        await tx.query("SELECT set_config('app.user_id', $1, true)", [user]);
        const owner = await insertUser(tx);
        expect(await setting(tx)).toEqual([{ value: user }]);
        expect(await listsOf(tx, owner)).toHaveLength(1);
      });
    });

    it('is one per owner: a second is refused (lists_one_inbox_per_owner)', async () => {
      await expect(insertListRow(db, user, { name: 'Inbox', inbox: true })).rejects.toMatchObject({
        code: '23505',
        constraint: 'lists_one_inbox_per_owner',
      });
      await insertListRow(db, user, { name: 'Inbox' });
      await insertListRow(db, user, { name: 'Inbox' });
      expect((await listsOf(db, user)).filter((l) => l.inbox)).toHaveLength(1);
    });

    it('cannot be renamed or recoloured (TDI01)', async () => {
      const inbox = await inboxOf(db, user);
      await expect(updateList(db, inbox, "name = 'Later'")).rejects.toMatchObject(inboxProtected);
      await expect(updateList(db, inbox, "color = '#1e90ff'")).rejects.toMatchObject(
        inboxProtected,
      );
      await expect(
        db.query("SELECT * FROM list_update($1, $2, NULL, true, 'Later', false, NULL)", [
          user,
          inbox,
        ]),
      ).rejects.toMatchObject(inboxProtected);
      const [row] = await db.query<ListRow>('SELECT * FROM lists WHERE id = $1', [inbox]);
      expect([row!.name, row!.color]).toEqual(['Inbox', null]);
    });

    it('cannot be deleted (TDI01), neither by DELETE nor by list_delete', async () => {
      const inbox = await inboxOf(db, user);
      await expect(db.query('DELETE FROM lists WHERE id = $1', [inbox])).rejects.toMatchObject(
        inboxProtected,
      );
      await expect(
        db.query('SELECT * FROM list_delete($1, $2, NULL)', [user, inbox]),
      ).rejects.toMatchObject(inboxProtected);
      expect(await inboxOf(db, user)).toBe(inbox);
    });

    it('goes with its account, with every other list and task of it', async () => {
      const leaving = await insertUser(db);
      const staying = await insertUser(db);
      for (const owner of [leaving, staying]) {
        const list = await insertList(db, owner);
        const parent = await insertTaskRow(db, owner, { list_id: list });
        await insertTaskRow(db, owner, { parent_id: parent.id });
        await insertTaskRow(db, owner);
      }
      await db.query('DELETE FROM users WHERE id = $1', [leaving]);
      const left = async (owner: string) => {
        const [row] = await db.query<{ lists: number; tasks: number }>(
          `SELECT (SELECT count(*)::int FROM lists WHERE owner_id = $1) AS lists,
                  (SELECT count(*)::int FROM tasks WHERE user_id = $1) AS tasks`,
          [owner],
        );
        return row;
      };
      expect(await left(leaving)).toEqual({ lists: 0, tasks: 0 });
      expect(await left(staying)).toEqual({ lists: 2, tasks: 3 });
    });

    it('is where a task inserted with no list goes', async () => {
      const task = await insertTaskRow(db, user);
      expect(Number(task.list_id)).toBe(await inboxOf(db, user));
    });
  });

  describe('owner and kind', () => {
    it('cannot hand a list to another owner (TDI01)', async () => {
      const other = await insertUser(db);
      const list = await insertListRow(db, user);
      await expect(
        db.query('UPDATE lists SET owner_id = $1 WHERE id = $2', [other, list.id]),
      ).rejects.toMatchObject(inboxProtected);
      const inbox = await inboxOf(db, user);
      await expect(
        db.query('UPDATE lists SET owner_id = $1 WHERE id = $2', [other, inbox]),
      ).rejects.toMatchObject(inboxProtected);
    });

    it('cannot make a list an Inbox or an Inbox a list (TDI01)', async () => {
      const list = await insertListRow(db, user);
      await expect(updateList(db, list.id, 'inbox = true')).rejects.toMatchObject(inboxProtected);
      const inbox = await inboxOf(db, user);
      await expect(updateList(db, inbox, 'inbox = false')).rejects.toMatchObject(inboxProtected);
    });

    it('must name an existing user', async () => {
      await expect(insertListRow(db, 'no-such-user')).rejects.toMatchObject({ code: '23503' });
    });
  });

  describe('version and times', () => {
    it('start at 1 and now, whatever an insert says', async () => {
      const list = await insertListRow(db, user, {
        version: 42,
        created_at: '2000-01-01',
        updated_at: '2000-01-01',
      });
      expect(list.version).toBe(1);
      expect(list.created_at.getFullYear()).toBeGreaterThan(2000);
      expect(list.updated_at).toEqual(list.created_at);
    });

    it('move on every update, whatever the update says', async () => {
      const list = await insertListRow(db, user);
      await tick();
      const renamed = await updateList(db, list.id, "name = 'Errands', version = 100");
      expect(renamed.version).toBe(2);
      expect(renamed.updated_at.getTime()).toBeGreaterThan(list.updated_at.getTime());
      await tick();
      const again = await updateList(
        db,
        list.id,
        "updated_at = '2000-01-01', created_at = '2000-01-01'",
      );
      expect(again.version).toBe(3);
      expect(again.updated_at.getTime()).toBeGreaterThan(renamed.updated_at.getTime());
      expect(again.created_at).toEqual(list.created_at);
    });
  });

  describe('ids', () => {
    it('cannot be chosen by the client', async () => {
      await expect(insertListRow(db, user, { id: 1_000_000 })).rejects.toMatchObject({
        code: '428C9',
      });
    });
  });

  describe('a task’s list', () => {
    it('is one of the task owner’s lists (tasks_list_fkey); moved to another’s, it is theirs', async () => {
      const other = await insertUser(db);
      const theirs = await insertList(db, other);
      await expect(insertTaskRow(db, user, { list_id: theirs })).rejects.toMatchObject({
        code: '23503',
        constraint: 'tasks_list_fkey',
      });
      const mine = await insertTaskRow(db, user);
      const [moved] = await db.query<{ user_id: string }>(
        'UPDATE tasks SET list_id = $1 WHERE id = $2 RETURNING user_id',
        [theirs, mine.id],
      );
      expect(moved!.user_id).toBe(other);
      await expect(insertTaskRow(db, user, { list_id: 999_999_999 })).rejects.toMatchObject({
        code: '23503',
        constraint: 'tasks_list_fkey',
      });
    });

    it('takes its tasks with it when it is deleted, and no other list’s', async () => {
      const list = await insertList(db, user);
      const other = await insertList(db, user);
      const doomed = await insertTaskRow(db, user, { list_id: list });
      const kept = await insertTaskRow(db, user, { list_id: other });
      await db.query('DELETE FROM lists WHERE id = $1', [list]);
      const ids = await db.query<{ id: number }>('SELECT id FROM tasks WHERE id IN ($1, $2)', [
        doomed.id,
        kept.id,
      ]);
      expect(ids.map((r) => Number(r.id))).toEqual([Number(kept.id)]);
    });
  });
});
