import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { expectProblem, listKeys, readTask, readTasks } from '../../test/support/api-assertions.js';
import { buildTask, buildUser } from '../../test/support/factories.js';
import type { TaskJson } from '../tasks/task-json.js';
import type { ListJson } from './list-json.js';

// Lists and subtasks through the HTTP API: the routes, the Inbox, moves, and that another
// user's list or task is 404 wherever it is named.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

async function readList(response: Response, status = 200): Promise<ListJson> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const list = JSON.parse(text) as ListJson;
  expect(Object.keys(list).sort()).toEqual(listKeys);
  expect(response.headers.get('etag') ?? `"${list.version}"`).toBe(`"${list.version}"`);
  return list;
}

const lists = async (user: TestUser): Promise<ListJson[]> =>
  (await api.json('GET', '/api/lists', user)).json() as Promise<ListJson[]>;
const inboxOf = async (user: TestUser) => (await lists(user)).find((l) => l.inbox)!;
const createList = async (user: TestUser, name: string, color?: string | null) =>
  readList(await api.json('POST', '/api/lists', user, { name, color }), 201);
const getTask = async (user: TestUser, id: number) =>
  readTask(await api.json('GET', `/api/tasks/${id}`, user));
const move = (user: TestUser, id: number, body: Record<string, unknown>, base = '/api/tasks') =>
  api.json('POST', `${base}/${id}/move`, user, body);
/** The titles of a list's top-level tasks (or a task's subtasks) in the manual order. */
async function order(user: TestUser, listId: number, parent: number | 'none' = 'none') {
  const response = await api.json(
    'GET',
    `/api/tasks?list_id=${listId}&parent_id=${parent}&sort=position&limit=100`,
    user,
  );
  return (await readTasks(response)).map((t) => t.title);
}

describe('lists', () => {
  it('gives a new account exactly one list, its Inbox, which holds tasks created without a list', async () => {
    const user = await buildUser(api);
    const all = await lists(user);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      name: 'Inbox',
      inbox: true,
      color: null,
      owner_id: user.id,
      role: 'owner',
      member_count: 1,
      counts: { total: 0, open: 0, completed: 0, overdue: 0 },
    });
    const task = await buildTask(api, user, { title: 'Somewhere' });
    expect(task.list_id).toBe(all[0]!.id);
    expect(task.parent_id).toBeNull();
  });

  it('creates a list with a trimmed name and a lower-cased colour, Location and ETag', async () => {
    const user = await buildUser(api);
    const response = await api.json('POST', '/api/lists', user, {
      name: '  Groceries ',
      color: '#1E90FF',
    });
    expect(response.headers.get('location')).toMatch(/^\/api\/lists\/\d+$/);
    const list = await readList(response, 201);
    expect(list).toMatchObject({ name: 'Groceries', color: '#1e90ff', inbox: false, version: 1 });
    expect(response.headers.get('etag')).toBe('"1"');
    const again = await readList(await api.json('GET', `/api/lists/${list.id}`, user));
    expect(again).toEqual(list);
  });

  it('refuses a bad name or colour with 422 and creates nothing', async () => {
    const user = await buildUser(api);
    for (const body of [
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(101) },
      { name: 'Fine', color: 'blue' },
      { name: 'Fine', color: '#12345' },
      { name: 'Fine', inbox: true },
      {},
    ]) {
      await expectProblem(
        await api.json('POST', '/api/lists', user, body),
        422,
        'validation_failed',
      );
    }
    expect(await lists(user)).toHaveLength(1);
    const longest = await createList(user, '😀'.repeat(100));
    expect([...longest.name]).toHaveLength(100);
  });

  it('lists the Inbox first, then by name, with counts of its tasks', async () => {
    const user = await buildUser(api);
    const zoo = await createList(user, 'zoo');
    await createList(user, 'Apples');
    await buildTask(api, user, { title: 'open', list_id: zoo.id });
    await buildTask(api, user, { title: 'late', list_id: zoo.id, due_date: '2001-01-01' });
    await buildTask(api, user, { title: 'done', list_id: zoo.id, status: 'completed' });
    const all = await lists(user);
    expect(all.map((l) => l.name)).toEqual(['Inbox', 'Apples', 'zoo']);
    expect(all[2]!.counts).toEqual({ total: 3, open: 2, completed: 1, overdue: 1 });
  });

  it('renames and recolours under If-Match, and answers 412 at a stale version', async () => {
    const user = await buildUser(api);
    const list = await createList(user, 'Old');
    const renamed = await readList(
      await api.json(
        'PATCH',
        `/api/lists/${list.id}`,
        user,
        { name: 'New' },
        { 'if-match': '"1"' },
      ),
    );
    expect(renamed).toMatchObject({ name: 'New', version: 2 });
    await expectProblem(
      await api.json(
        'PATCH',
        `/api/lists/${list.id}`,
        user,
        { color: null },
        { 'if-match': '"1"' },
      ),
      412,
      'version_mismatch',
    );
    const recoloured = await readList(
      await api.json('PATCH', `/api/lists/${list.id}`, user, { color: '#AABBCC' }),
    );
    expect(recoloured).toMatchObject({ name: 'New', color: '#aabbcc', version: 3 });
  });

  it('deletes a list with all its tasks, under If-Match', async () => {
    const user = await buildUser(api);
    const list = await createList(user, 'Doomed');
    const parent = await buildTask(api, user, { title: 'p', list_id: list.id });
    const child = await buildTask(api, user, { title: 'c', parent_id: parent.id });
    await expectProblem(
      await api.json('DELETE', `/api/lists/${list.id}`, user, undefined, { 'if-match': '"9"' }),
      412,
      'version_mismatch',
    );
    const deleted = await api.json('DELETE', `/api/lists/${list.id}`, user, undefined, {
      'if-match': '"1"',
    });
    expect(deleted.status).toBe(204);
    await expectProblem(
      await api.json('GET', `/api/lists/${list.id}`, user),
      404,
      'list_not_found',
    );
    for (const id of [parent.id, child.id]) {
      await expectProblem(await api.json('GET', `/api/tasks/${id}`, user), 404, 'task_not_found');
    }
  });

  it('keeps the Inbox: no rename, no recolour, no delete (409 inbox_protected)', async () => {
    const user = await buildUser(api);
    const inbox = await inboxOf(user);
    for (const body of [{ name: 'Elsewhere' }, { color: '#000000' }, { name: 'Inbox' }]) {
      await expectProblem(
        await api.json('PATCH', `/api/lists/${inbox.id}`, user, body),
        409,
        'inbox_protected',
      );
    }
    await expectProblem(
      await api.json('DELETE', `/api/lists/${inbox.id}`, user),
      409,
      'inbox_protected',
    );
    expect(await inboxOf(user)).toEqual(inbox);
  });
});

describe('subtasks', () => {
  it('puts a subtask in its parent list and counts it on the parent', async () => {
    const user = await buildUser(api);
    const list = await createList(user, 'Trip');
    const parent = await buildTask(api, user, { title: 'Pack', list_id: list.id });
    const child = await buildTask(api, user, { title: 'Socks', parent_id: parent.id });
    expect(child).toMatchObject({ list_id: list.id, parent_id: parent.id });
    expect((await getTask(user, parent.id)).subtasks).toEqual({ total: 1, completed: 0 });
    await expectProblem(
      await api.json('POST', '/api/tasks', user, {
        title: 'Elsewhere',
        parent_id: parent.id,
        list_id: (await inboxOf(user)).id,
      }),
      422,
      'subtask_list_mismatch',
    );
  });

  it('nests five levels and refuses a sixth with 422 subtask_too_deep', async () => {
    const user = await buildUser(api);
    let parent = await buildTask(api, user, { title: 'level 1' });
    for (let level = 2; level <= 5; level++) {
      parent = await buildTask(api, user, { title: `level ${level}`, parent_id: parent.id });
    }
    await expectProblem(
      await api.json('POST', '/api/tasks', user, { title: 'level 6', parent_id: parent.id }),
      422,
      'subtask_too_deep',
    );
  });

  it('completes the open subtree with its task, and does not reopen it', async () => {
    const user = await buildUser(api);
    const root = await buildTask(api, user, { title: 'root' });
    const child = await buildTask(api, user, { title: 'child', parent_id: root.id });
    const grandchild = await buildTask(api, user, { title: 'grandchild', parent_id: child.id });
    const toggled = await readTask(await api.json('PATCH', `/api/tasks/${root.id}/complete`, user));
    expect(toggled.subtasks).toEqual({ total: 1, completed: 1 });
    for (const id of [child.id, grandchild.id]) {
      expect((await getTask(user, id)).status).toBe('completed');
    }
    await api.json('PATCH', `/api/tasks/${root.id}/complete`, user);
    expect((await getTask(user, root.id)).status).toBe('pending');
    expect((await getTask(user, child.id)).status).toBe('completed');
  });

  it('deletes the subtree with its task', async () => {
    const user = await buildUser(api);
    const root = await buildTask(api, user, { title: 'root' });
    const child = await buildTask(api, user, { title: 'child', parent_id: root.id });
    expect((await api.json('DELETE', `/api/tasks/${root.id}`, user)).status).toBe(204);
    await expectProblem(await api.json('GET', `/api/tasks/${child.id}`, user), 404);
  });
});

describe('manual order and moves', () => {
  it('appends new tasks after their last sibling and lists them in that order', async () => {
    const user = await buildUser(api);
    const list = await createList(user, 'Order');
    for (const title of ['one', 'two', 'three'])
      await buildTask(api, user, { title, list_id: list.id });
    expect(await order(user, list.id)).toEqual(['one', 'two', 'three']);
  });

  it('places a task before or after a sibling, in one write, and answers with its ETag', async () => {
    const user = await buildUser(api);
    const list = await createList(user, 'Order');
    const [a, b, c] = [
      await buildTask(api, user, { title: 'a', list_id: list.id }),
      await buildTask(api, user, { title: 'b', list_id: list.id }),
      await buildTask(api, user, { title: 'c', list_id: list.id }),
    ];
    const moved = await move(user, c!.id, { before_id: a!.id });
    expect(moved.status).toBe(200);
    const task = await readTask(moved);
    expect(moved.headers.get('etag')).toBe(`"${task.version}"`);
    expect(await order(user, list.id)).toEqual(['c', 'a', 'b']);
    await move(user, c!.id, { after_id: a!.id });
    expect(await order(user, list.id)).toEqual(['a', 'c', 'b']);
    // The others were not rewritten: one write per move.
    expect((await getTask(user, b!.id)).version).toBe(1);
  });

  it('re-parents, makes top-level, and moves a subtree to another list', async () => {
    const user = await buildUser(api);
    const home = await createList(user, 'Home');
    const work = await createList(user, 'Work');
    const root = await buildTask(api, user, { title: 'root', list_id: home.id });
    const other = await buildTask(api, user, { title: 'other', list_id: home.id });
    const child = await buildTask(api, user, { title: 'child', parent_id: root.id });
    await move(user, other.id, { parent_id: root.id });
    expect(await order(user, home.id, root.id)).toEqual(['child', 'other']);
    await move(user, other.id, { parent_id: null });
    expect(await order(user, home.id)).toEqual(['root', 'other']);
    const moved = await readTask(await move(user, root.id, { list_id: work.id }));
    expect(moved).toMatchObject({ list_id: work.id, parent_id: null });
    expect(await getTask(user, child.id)).toMatchObject({ list_id: work.id, parent_id: root.id });
    expect(await order(user, home.id)).toEqual(['other']);
  });

  it('refuses a cycle, a sixth level and a bad body with 422, changing nothing', async () => {
    const user = await buildUser(api);
    const root = await buildTask(api, user, { title: 'root' });
    const child = await buildTask(api, user, { title: 'child', parent_id: root.id });
    await expectProblem(await move(user, root.id, { parent_id: child.id }), 422, 'subtask_cycle');
    await expectProblem(await move(user, root.id, { parent_id: root.id }), 422, 'subtask_cycle');
    await expectProblem(await move(user, root.id, { before_id: root.id }), 422, 'not_a_sibling');
    let deep = await buildTask(api, user, { title: 'd1' });
    for (let level = 2; level <= 4; level++) {
      deep = await buildTask(api, user, { title: `d${level}`, parent_id: deep.id });
    }
    // root has a child: under a fourth-level task the child would be at level 6.
    await expectProblem(await move(user, root.id, { parent_id: deep.id }), 422, 'subtask_too_deep');
    for (const body of [{}, { before_id: 1, after_id: 2 }, { list_id: 'x' }, { where: 1 }]) {
      await expectProblem(await move(user, root.id, body), 422, 'validation_failed');
    }
    expect(await getTask(user, root.id)).toMatchObject({ parent_id: null, version: 1 });
  });

  it('moves through PATCH when a body names another list or parent', async () => {
    const user = await buildUser(api);
    const work = await createList(user, 'Work');
    const task = await buildTask(api, user, { title: 'task' });
    const patched = await readTask(
      await api.json('PATCH', `/api/tasks/${task.id}`, user, { list_id: work.id, title: 'moved' }),
    );
    expect(patched).toMatchObject({ list_id: work.id, title: 'moved', version: 2 });
    // Omitted from a PUT, list and parent stay as they are.
    const replaced = await readTask(
      await api.json('PUT', `/api/tasks/${task.id}`, user, { title: 'replaced' }),
    );
    expect(replaced).toMatchObject({ list_id: work.id, parent_id: null });
  });

  it('answers under the user path too', async () => {
    const user = await buildUser(api);
    const [a, b] = [
      await buildTask(api, user, { title: 'a' }),
      await buildTask(api, user, { title: 'b' }),
    ];
    const moved = await move(user, b.id, { before_id: a.id }, `/api/${user.id}/tasks`);
    expect(moved.status).toBe(200);
    expect(await order(user, a.list_id)).toEqual(['b', 'a']);
  });

  it('needs list_id for sort=position (400)', async () => {
    const user = await buildUser(api);
    await expectProblem(
      await api.json('GET', '/api/tasks?sort=position', user),
      400,
      'bad_request',
    );
  });
});

describe("another user's list or task is 404 wherever it is named", () => {
  let ann: TestUser;
  let bob: TestUser;
  let annList: ListJson;
  let annTask: TaskJson;
  let bobTask: TaskJson;

  beforeAll(async () => {
    ann = await buildUser(api);
    bob = await buildUser(api);
    annList = await createList(ann, 'Private');
    annTask = await buildTask(api, ann, { title: 'secret', list_id: annList.id });
    bobTask = await buildTask(api, bob, { title: 'mine' });
  });

  it('in the path of a list route', async () => {
    await expectProblem(
      await api.json('GET', `/api/lists/${annList.id}`, bob),
      404,
      'list_not_found',
    );
    await expectProblem(
      await api.json('PATCH', `/api/lists/${annList.id}`, bob, { name: 'Mine now' }),
      404,
      'list_not_found',
    );
    await expectProblem(
      await api.json('DELETE', `/api/lists/${annList.id}`, bob),
      404,
      'list_not_found',
    );
  });

  it('as the list or parent of a new task, in the task list filter, and as a move target', async () => {
    await expectProblem(
      await api.json('POST', '/api/tasks', bob, { title: 'x', list_id: annList.id }),
      404,
      'list_not_found',
    );
    await expectProblem(
      await api.json('POST', '/api/tasks', bob, { title: 'x', parent_id: annTask.id }),
      404,
      'task_not_found',
    );
    await expectProblem(
      await api.json('GET', `/api/tasks?list_id=${annList.id}`, bob),
      404,
      'list_not_found',
    );
    for (const [body, code] of [
      [{ list_id: annList.id }, 'list_not_found'],
      [{ parent_id: annTask.id }, 'task_not_found'],
      [{ before_id: annTask.id }, 'task_not_found'],
      [{ after_id: annTask.id }, 'task_not_found'],
    ] as const) {
      await expectProblem(await move(bob, bobTask.id, body), 404, code);
    }
    await expectProblem(
      await move(bob, annTask.id, { list_id: (await inboxOf(bob)).id }),
      404,
      'task_not_found',
    );
  });

  it('in the task list filter, sorted or filtered too', async () => {
    // Another's list answers 404 even where its page would be empty anyway; one's own empty
    // list answers an empty page.
    for (const query of ['sort=position&parent_id=none', 'status=completed', 'q=zzz']) {
      await expectProblem(
        await api.json('GET', `/api/tasks?list_id=${annList.id}&${query}`, bob),
        404,
        'list_not_found',
      );
      const empty = await createList(bob, `Empty ${query}`);
      const page = await api.json('GET', `/api/tasks?list_id=${empty.id}&${query}`, bob);
      expect(page.status).toBe(200);
      expect(await page.json()).toEqual([]);
    }
    await expectProblem(
      await api.json('GET', `/api/tasks?list_id=${annList.id}`, bob),
      404,
      'list_not_found',
    );
  });

  it('and nothing of theirs changed', async () => {
    expect(await getTask(ann, annTask.id)).toEqual(annTask);
    expect((await lists(ann)).find((l) => l.id === annList.id)).toMatchObject({
      name: 'Private',
      version: 1,
      counts: { total: 1 },
    });
    expect(await getTask(bob, bobTask.id)).toMatchObject({ version: 1, parent_id: null });
  });
});

describe('the OpenAPI document', () => {
  it('describes the list routes and the move', async () => {
    const document = (await (await api.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(document.paths['/api/lists']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/api/lists/{id}']!).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    expect(document.paths['/api/tasks/{id}/move']).toHaveProperty('post');
    expect(document.paths['/api/{user_id}/tasks/{id}/move']).toHaveProperty('post');
  });
});
