import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf, insertList, insertUser } from '../../test/support/factories.js';
import { insertTaskRow, moveTaskRow, taskRowsById } from '../../test/support/task-rows.js';
import { countRows, openTestDatabase } from '../../test/support/test-database.js';
import type { Database, Queryable } from '../db/database.js';
import type { TaskRow } from '../tasks/repository.js';

// The tree of tasks as the database itself enforces it, whatever path a row takes: a subtask
// lives in its parent's list, at most five levels deep, never under itself; siblings never
// share a position; the subtree goes with its root when it is deleted, moved or completed;
// the counts of direct subtasks are the database's own. Plain SQL as a superuser, and
// task_move where the rule is about a move.

const foreignKeyViolation = (constraint: string) => ({ code: '23503', constraint });
const uniqueViolation = (constraint: string) => ({ code: '23505', constraint });
const tooDeep = { code: 'TDD01' };
const cycle = { code: 'TDC01' };
/** Lets the clock move past the millisecond the database keeps. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

async function updateTask(db: Queryable, id: number, set: string): Promise<TaskRow> {
  const [row] = await db.query<TaskRow>(`UPDATE tasks SET ${set} WHERE id = $1 RETURNING *`, [id]);
  return row!;
}

async function taskRow(db: Queryable, id: number): Promise<TaskRow> {
  const [row] = await db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
  return row!;
}

const counts = (row: TaskRow) => [row.subtasks_total, row.subtasks_completed];

describe.each(['server', 'embedded'] as const)('subtasks on %s', (kind) => {
  let close: () => Promise<void>;
  let db: Database;
  let user: string;
  let inbox: number;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    user = await insertUser(db);
    inbox = await inboxOf(db, user);
  });
  afterAll(() => close());

  /** `levels` tasks, each under the one before, the top-level one first. */
  async function chain(levels: number, columns: Record<string, unknown> = {}): Promise<number[]> {
    const ids: number[] = [];
    for (let level = 0; level < levels; level++) {
      const parent = ids.at(-1) ?? null;
      ids.push(Number((await insertTaskRow(db, user, { ...columns, parent_id: parent })).id));
    }
    return ids;
  }

  /** How deep a task is: 1 at the top level. */
  async function depthOf(id: number): Promise<number> {
    let depth = 0;
    for (let current: number | null = id; current !== null; depth++) {
      const row: TaskRow = await taskRow(db, current);
      current = row.parent_id === null ? null : Number(row.parent_id);
    }
    return depth;
  }

  describe('a subtask’s list', () => {
    it('is its parent’s when none is given', async () => {
      const list = await insertList(db, user);
      const parent = await insertTaskRow(db, user, { list_id: list });
      const child = await insertTaskRow(db, user, { parent_id: parent.id });
      expect(Number(child.list_id)).toBe(list);
    });

    it('cannot be another list than its parent’s (tasks_parent_fkey)', async () => {
      const list = await insertList(db, user);
      const parent = await insertTaskRow(db, user, { list_id: list });
      await expect(
        insertTaskRow(db, user, { parent_id: parent.id, list_id: inbox }),
      ).rejects.toMatchObject(foreignKeyViolation('tasks_parent_fkey'));
      const child = await insertTaskRow(db, user, { parent_id: parent.id });
      await expect(updateTask(db, Number(child.id), `list_id = ${inbox}`)).rejects.toMatchObject(
        foreignKeyViolation('tasks_parent_fkey'),
      );
    });

    it('cannot name a parent that does not exist (tasks_parent_fkey)', async () => {
      await expect(
        insertTaskRow(db, user, { parent_id: 999_999_999, list_id: inbox }),
      ).rejects.toMatchObject(foreignKeyViolation('tasks_parent_fkey'));
    });
  });

  describe('nesting', () => {
    it('goes five levels deep, and no further (TDD01)', async () => {
      const levels = await chain(5);
      expect(await depthOf(levels.at(-1)!)).toBe(5);
      await expect(insertTaskRow(db, user, { parent_id: levels.at(-1) })).rejects.toMatchObject(
        tooDeep,
      );
      expect(await countRows(db, 'tasks', 'parent_id = $1', [levels.at(-1)])).toBe(0);
    });

    it('refuses to re-parent a subtree that would reach a sixth level (TDD01)', async () => {
      const target = await chain(3);
      const subtree = await chain(3);
      await expect(updateTask(db, subtree[0]!, `parent_id = ${target[2]}`)).rejects.toMatchObject(
        tooDeep,
      );
      await expect(
        moveTaskRow(db, user, subtree[0]!, { parentId: target[2]! }),
      ).rejects.toMatchObject(tooDeep);
      // One level higher, the subtree's deepest task is at the fifth level exactly.
      await moveTaskRow(db, user, subtree[0]!, { parentId: target[1]! });
      expect(await depthOf(subtree[2]!)).toBe(5);
    });

    it('refuses a deep subtree moved under a deep task of another list (TDD01)', async () => {
      const list = await insertList(db, user);
      const target = await chain(4, { list_id: list });
      const subtree = await chain(2);
      await expect(
        moveTaskRow(db, user, subtree[0]!, { parentId: target[3]! }),
      ).rejects.toMatchObject(tooDeep);
      expect(Number((await taskRow(db, subtree[1]!)).list_id)).toBe(inbox);
    });

    it('never puts a task under itself (TDC01)', async () => {
      const [task] = await chain(1);
      await expect(updateTask(db, task!, `parent_id = ${task}`)).rejects.toMatchObject(cycle);
      await expect(moveTaskRow(db, user, task!, { parentId: task! })).rejects.toMatchObject(cycle);
    });

    it('never puts a task under one of its descendants (TDC01)', async () => {
      const levels = await chain(4);
      for (const descendant of levels.slice(1)) {
        await expect(updateTask(db, levels[0]!, `parent_id = ${descendant}`)).rejects.toMatchObject(
          cycle,
        );
        await expect(
          moveTaskRow(db, user, levels[0]!, { parentId: descendant }),
        ).rejects.toMatchObject(cycle);
      }
      expect((await taskRow(db, levels[0]!)).parent_id).toBeNull();
    });

    it('never closes a loop in one statement that re-parents two tasks (TDC01)', async () => {
      const [a] = await chain(1);
      const [b] = await chain(1);
      await expect(
        db.query(
          `UPDATE tasks SET parent_id = CASE id WHEN $1::bigint THEN $2::bigint ELSE $1::bigint END
            WHERE id IN ($1, $2)`,
          [a, b],
        ),
      ).rejects.toMatchObject(cycle);
    });

    it('has a check of its own against a task under itself (tasks_parent_check)', async () => {
      // The nesting trigger refuses first; without it, the CHECK constraint still holds.
      const [task] = await chain(1);
      await expect(
        db.transaction(async (tx) => {
          await tx.exec('ALTER TABLE tasks DISABLE TRIGGER tasks_check_nesting');
          await updateTask(tx, task!, `parent_id = ${task}`);
        }),
      ).rejects.toMatchObject({ code: '23514', constraint: 'tasks_parent_check' });
    });
  });

  describe('positions', () => {
    it('are never shared by two top-level tasks of a list (tasks_top_level_position_key)', async () => {
      const list = await insertList(db, user);
      await insertTaskRow(db, user, { list_id: list, position: 'a5' });
      await expect(
        insertTaskRow(db, user, { list_id: list, position: 'a5' }),
      ).rejects.toMatchObject(uniqueViolation('tasks_top_level_position_key'));
      const other = await insertTaskRow(db, user, { list_id: list, position: 'a6' });
      await expect(updateTask(db, Number(other.id), "position = 'a5'")).rejects.toMatchObject(
        uniqueViolation('tasks_top_level_position_key'),
      );
    });

    it('are never shared by two subtasks of one parent (tasks_subtask_position_key)', async () => {
      const [parent] = await chain(1);
      await insertTaskRow(db, user, { parent_id: parent, position: 'a5' });
      await expect(
        insertTaskRow(db, user, { parent_id: parent, position: 'a5' }),
      ).rejects.toMatchObject(uniqueViolation('tasks_subtask_position_key'));
    });

    it('may repeat under another parent, at the top level, and in another list', async () => {
      const list = await insertList(db, user);
      const [first, second] = [(await chain(1))[0]!, (await chain(1))[0]!];
      const placed = [
        { parent_id: first, position: 'Zz' },
        { parent_id: second, position: 'Zz' },
        { list_id: inbox, position: 'Zz' },
        { list_id: list, position: 'Zz' },
      ];
      for (const columns of placed) {
        expect((await insertTaskRow(db, user, columns)).position).toBe('Zz');
      }
    });

    it('put a task inserted without one after its last sibling', async () => {
      const list = await insertList(db, user);
      const first = await insertTaskRow(db, user, { list_id: list, position: 'a5' });
      const second = await insertTaskRow(db, user, { list_id: list });
      expect(second.position > first.position).toBe(true);
      const child = await insertTaskRow(db, user, { parent_id: first.id, position: 'b00' });
      const nextChild = await insertTaskRow(db, user, { parent_id: first.id });
      expect(nextChild.position > child.position).toBe(true);
    });

    it.each(['a', 'a-0', 'a 0', 'é0', 'a'.repeat(201)])(
      'are 2 to 200 digits and ASCII letters: %j is refused (tasks_position_check)',
      async (position) => {
        await expect(insertTaskRow(db, user, { position })).rejects.toMatchObject({
          code: '23514',
          constraint: 'tasks_position_check',
        });
      },
    );
  });

  describe('deleting a task', () => {
    it('deletes its whole subtree and nothing else', async () => {
      const [root, child, grandchild] = await chain(3);
      const sibling = Number((await insertTaskRow(db, user, { parent_id: root })).id);
      const nephew = Number((await insertTaskRow(db, user, { parent_id: sibling })).id);
      await db.query('DELETE FROM tasks WHERE id = $1', [child]);
      const left = await taskRowsById(db, user);
      expect(left.has(child!)).toBe(false);
      expect(left.has(grandchild!)).toBe(false);
      expect(left.has(sibling)).toBe(true);
      expect(left.has(nephew)).toBe(true);
      expect(counts(left.get(root!)!)).toEqual([1, 0]);
    });

    it('with its list deletes every level of the list’s tasks', async () => {
      const list = await insertList(db, user);
      const levels = await chain(5, { list_id: list });
      await db.query('DELETE FROM lists WHERE id = $1', [list]);
      const left = await taskRowsById(db, user);
      expect(levels.filter((id) => left.has(id))).toEqual([]);
    });
  });

  describe('moving a task to another list', () => {
    it('carries its whole subtree along, in the same shape and order', async () => {
      const target = await insertList(db, user);
      const waiting = await insertTaskRow(db, user, { list_id: target });
      const [root, child, grandchild] = await chain(3);
      const secondChild = await insertTaskRow(db, user, { parent_id: root });
      const before = await taskRowsById(db, user);

      const moved = await moveTaskRow(db, user, root!, { listId: target });
      expect(Number(moved!.list_id)).toBe(target);
      expect(moved!.parent_id).toBeNull();
      expect(moved!.position > waiting.position, 'at the end of the list').toBe(true);
      const after = await taskRowsById(db, user);
      for (const id of [child!, grandchild!, Number(secondChild.id)]) {
        const { list_id, parent_id, position } = after.get(id)!;
        expect(Number(list_id)).toBe(target);
        expect([parent_id, position]).toEqual([
          before.get(id)!.parent_id,
          before.get(id)!.position,
        ]);
      }
      expect(counts(after.get(root!)!)).toEqual([2, 0]);
    });

    it('takes a subtask out from under its parent, with its own subtree', async () => {
      const target = await insertList(db, user);
      const [root, child, grandchild] = await chain(3);
      const moved = await moveTaskRow(db, user, child!, { listId: target });
      expect([Number(moved!.list_id), moved!.parent_id]).toEqual([target, null]);
      const after = await taskRowsById(db, user);
      expect(Number(after.get(grandchild!)!.list_id)).toBe(target);
      expect(Number(after.get(grandchild!)!.parent_id)).toBe(child);
      expect(counts(after.get(root!)!)).toEqual([0, 0]);
    });
  });

  describe('completing a task', () => {
    it('completes its open subtasks at every level, in the same statement', async () => {
      const [root, child, grandchild] = await chain(3);
      const busy = await insertTaskRow(db, user, { parent_id: root, status: 'in_progress' });
      const done = await insertTaskRow(db, user, { parent_id: child, status: 'completed' });
      await tick();
      await updateTask(db, root!, "status = 'completed'");

      const after = await taskRowsById(db, user);
      for (const id of [child!, grandchild!, Number(busy.id)]) {
        expect(after.get(id)!.status, `task ${id}`).toBe('completed');
        expect(after.get(id)!.completed_at).toEqual(after.get(root!)!.completed_at);
      }
      // Already completed: left as it was.
      const stillDone = after.get(Number(done.id))!;
      expect([stillDone.version, stillDone.completed_at]).toEqual([
        done.version,
        done.completed_at,
      ]);
      expect(counts(after.get(root!)!)).toEqual([2, 2]);
      expect(counts(after.get(child!)!)).toEqual([2, 2]);
    });

    it('through task_toggle too', async () => {
      const [root, child] = await chain(2);
      await db.query('SELECT * FROM task_toggle($1, $2, NULL, NULL, NULL)', [user, root]);
      expect((await taskRow(db, child!)).status).toBe('completed');
    });

    it('reopens none of them when it is reopened', async () => {
      const [root, child, grandchild] = await chain(3);
      await updateTask(db, root!, "status = 'completed'");
      await updateTask(db, root!, "status = 'pending'");
      const after = await taskRowsById(db, user);
      expect(after.get(child!)!.status).toBe('completed');
      expect(after.get(grandchild!)!.status).toBe('completed');
    });

    it('leaves its parent and its siblings as they are', async () => {
      const [root, child] = await chain(2);
      const sibling = await insertTaskRow(db, user, { parent_id: root });
      await updateTask(db, child!, "status = 'completed'");
      const after = await taskRowsById(db, user);
      expect(after.get(root!)!.status).toBe('pending');
      expect(after.get(Number(sibling.id))!.status).toBe('pending');
    });
  });

  describe('the subtask counts', () => {
    it('count the direct subtasks as they are inserted and deleted', async () => {
      const [root, child] = await chain(2);
      await insertTaskRow(db, user, { parent_id: child });
      const second = await insertTaskRow(db, user, { parent_id: root, status: 'completed' });
      expect(counts(await taskRow(db, root!))).toEqual([2, 1]);
      expect(counts(await taskRow(db, child!))).toEqual([1, 0]);
      await db.query('DELETE FROM tasks WHERE id = $1', [second.id]);
      expect(counts(await taskRow(db, root!))).toEqual([1, 0]);
    });

    it('follow the status: completed counts, in progress does not', async () => {
      const [root, child] = await chain(2);
      await updateTask(db, child!, "status = 'in_progress'");
      expect(counts(await taskRow(db, root!))).toEqual([1, 0]);
      await updateTask(db, child!, "status = 'completed'");
      expect(counts(await taskRow(db, root!))).toEqual([1, 1]);
      await updateTask(db, child!, "status = 'completed', title = 'Still done'");
      expect(counts(await taskRow(db, root!))).toEqual([1, 1]);
      await updateTask(db, child!, "status = 'in_progress'");
      expect(counts(await taskRow(db, root!))).toEqual([1, 0]);
    });

    it('follow a subtask from one parent to another, and to the top level', async () => {
      const [first, child] = await chain(2);
      const [second] = await chain(1);
      await updateTask(db, child!, "status = 'completed'");
      await moveTaskRow(db, user, child!, { parentId: second! });
      expect(counts(await taskRow(db, first!))).toEqual([0, 0]);
      expect(counts(await taskRow(db, second!))).toEqual([1, 1]);
      await moveTaskRow(db, user, child!, { parentId: null });
      expect(counts(await taskRow(db, second!))).toEqual([0, 0]);
    });

    it('cannot be written: an UPDATE or INSERT that sets them is ignored', async () => {
      const [root] = await chain(2);
      const inserted = await insertTaskRow(db, user, {
        subtasks_total: 5,
        subtasks_completed: 3,
      });
      expect(counts(inserted)).toEqual([0, 0]);
      expect(
        counts(await updateTask(db, root!, 'subtasks_total = 7, subtasks_completed = 7')),
      ).toEqual([1, 0]);
      const renamed = await updateTask(db, root!, "title = 'Renamed', subtasks_total = 0");
      expect([renamed.title, ...counts(renamed)]).toEqual(['Renamed', 1, 0]);
    });

    it('change neither the parent’s version nor its updated_at', async () => {
      const [root, child] = await chain(2);
      const before = await taskRow(db, root!);
      await tick();
      await insertTaskRow(db, user, { parent_id: root });
      await updateTask(db, child!, "status = 'completed'");
      await db.query('DELETE FROM tasks WHERE id = $1', [child]);
      const after = await taskRow(db, root!);
      expect(counts(after)).toEqual([1, 0]);
      expect([after.version, after.updated_at]).toEqual([before.version, before.updated_at]);
    });
  });
});
