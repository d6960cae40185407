import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestApi,
  type TestApi,
  type TestUser,
  testApp,
  testConfig,
} from '../../test/support/api.js';
import { expectProblem, ISO_UTC, readTask } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import {
  adminQuery,
  openServerDatabase,
  silentLogger,
  urlFor,
} from '../../test/support/test-database.js';
import { loadConfig } from '../config.js';
import type { Queryable } from '../db/database.js';
import { rolesScript } from '../db/roles.js';
import type { ListJson } from '../lists/list-json.js';
import { migrateOnStart } from '../server.js';
import type { CreatedInvitationJson } from '../sharing/schemas.js';
import type { TaskJson } from '../tasks/task-json.js';
import type { NotificationJson } from './schemas.js';

// Reminders going off and the notifications they leave, through the HTTP API. The app under
// test runs no scheduler: a test fires due reminders itself with reminders_fire, as the
// scheduler's loop does. Times are built from now: a reminder a second or two ahead, a wait,
// then the firing. Where a test needs a reminder due without waiting, the superuser moves
// its queue row (reminder_queue is the database's own; the app never reads it).

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const notificationKeys = [
  'id',
  'task_id',
  'title',
  'due_date',
  'fire_at',
  'fired_at',
  'late',
  'read',
  'created_at',
].sort();

async function ok<T>(response: Promise<Response> | Response, status = 200): Promise<T> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Fires every due reminder, as the scheduler does; how many it took off the queue. */
async function fire(db: Queryable = api.db): Promise<number> {
  const [row] = await db.query<{ reminders_fire: number }>('SELECT reminders_fire(100, false)');
  return row!.reminders_fire;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** An ISO time `ms` from now. */
const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
/** Waits until `iso` has passed (and a little more). */
async function waitUntil(iso: string): Promise<void> {
  const wait = Date.parse(iso) - Date.now() + 100;
  if (wait > 0) await sleep(wait);
}
const MINUTE = 60_000;

async function createTask(user: TestUser, body: Record<string, unknown>): Promise<TaskJson> {
  const response = await api.json('POST', '/api/tasks', user, {
    title: 'Call the dentist',
    ...body,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return readTask(response);
}

async function writeTask(
  user: TestUser,
  method: string,
  path: string,
  body?: Record<string, unknown>,
): Promise<TaskJson> {
  const response = await api.json(method, path, user, body);
  expect(response.status, await response.clone().text()).toBe(200);
  return readTask(response);
}

/** The caller's notifications (one page); each checked for its fields and their formats. */
async function notificationsOf(user: TestUser, query = ''): Promise<NotificationJson[]> {
  const list = await ok<NotificationJson[]>(api.json('GET', `/api/notifications${query}`, user));
  for (const n of list) expectNotification(n);
  return list;
}

function expectNotification(n: NotificationJson): void {
  expect(Object.keys(n).sort()).toEqual(notificationKeys);
  expect(Number.isSafeInteger(n.id) && n.id > 0).toBe(true);
  expect(Number.isSafeInteger(n.task_id) && n.task_id > 0).toBe(true);
  expect(n.title).toBeTypeOf('string');
  if (n.due_date !== null) expect(n.due_date).toMatch(ISO_UTC);
  expect(n.fire_at).toMatch(ISO_UTC);
  expect(n.fired_at).toMatch(ISO_UTC);
  expect(n.created_at).toMatch(ISO_UTC);
  expect(n.late).toBeTypeOf('boolean');
  expect(n.read).toBeTypeOf('boolean');
  expect(Date.parse(n.fired_at)).toBeGreaterThanOrEqual(Date.parse(n.fire_at));
}

const markRead = (user: TestUser, id: number | string) =>
  api.json('POST', `/api/notifications/${id}/read`, user);

/** Makes the task's armed reminders due now, without waiting for them. */
async function dueNow(taskId: number): Promise<void> {
  const rows = await api.database.db.query(
    'UPDATE reminder_queue SET fire_at = now() WHERE task_id = $1 RETURNING 1',
    [taskId],
  );
  expect(rows.length).toBeGreaterThan(0);
}

/** `count` tasks of the user's, each with a reminder that has gone off, oldest first. */
async function notified(user: TestUser, count: number): Promise<TaskJson[]> {
  const tasks: TaskJson[] = [];
  for (let i = 0; i < count; i++) {
    const task = await createTask(user, {
      title: `Task ${i}`,
      reminders: [{ at: fromNow(MINUTE) }],
    });
    await dueNow(task.id);
    expect(await fire()).toBeGreaterThanOrEqual(1);
    tasks.push(task);
  }
  return tasks;
}

async function sharedList(owner: TestUser, members: TestUser[]): Promise<ListJson> {
  const list = await ok<ListJson>(api.json('POST', '/api/lists', owner, { name: 'Office' }), 201);
  for (const member of members) {
    const { token } = await ok<CreatedInvitationJson>(
      api.json('POST', `/api/lists/${list.id}/invitations`, owner, { role: 'editor' }),
      201,
    );
    await ok(api.json('POST', `/api/invitations/${token}/accept`, member));
  }
  return list;
}

describe('a reminder going off', () => {
  it('leaves a notification with every field: the task, the reminder time, when it went off', async () => {
    const user = await buildUser(api);
    const at = fromNow(1200);
    const due = fromNow(24 * 60 * MINUTE);
    const task = await createTask(user, { title: 'Dentist', due_date: due, reminders: [{ at }] });
    // Not before its time.
    await fire();
    expect(await notificationsOf(user)).toEqual([]);

    await waitUntil(at);
    const start = Date.now();
    expect(await fire()).toBeGreaterThanOrEqual(1);
    const [notification, ...others] = await notificationsOf(user);
    expect(others).toEqual([]);
    expect(notification).toMatchObject({
      task_id: task.id,
      title: 'Dentist',
      due_date: task.due_date,
      fire_at: at,
      late: false,
      read: false,
    });
    expect(Date.parse(notification!.fired_at)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(notification!.fired_at)).toBeGreaterThanOrEqual(start - 5);
    expect(Date.parse(notification!.created_at)).toBeGreaterThanOrEqual(start - 5);
  });

  it('goes off for a task without a due date (an at reminder), with due_date null', async () => {
    const user = await buildUser(api);
    const at = fromNow(1000);
    const task = await createTask(user, { reminders: [{ at }] });
    await waitUntil(at);
    await fire();
    expect(await notificationsOf(user)).toMatchObject([
      { task_id: task.id, due_date: null, fire_at: at },
    ]);
  });

  it('is late when it goes off more than a minute after its time', async () => {
    const user = await buildUser(api);
    const at = fromNow(5000);
    const task = await createTask(user, { reminders: [{ at }] });
    // As if the server had been down: its time is two minutes before now.
    await api.database.db.query(
      "UPDATE reminder_queue SET fire_at = fire_at - interval '2 minutes' WHERE task_id = $1",
      [task.id],
    );
    expect(await fire()).toBeGreaterThanOrEqual(1);
    const [notification] = await notificationsOf(user);
    expect(notification).toMatchObject({
      task_id: task.id,
      late: true,
      fire_at: new Date(Date.parse(at) - 2 * MINUTE).toISOString(),
    });
  });

  it('never goes off when its time had already passed when it was set', async () => {
    const user = await buildUser(api);
    const past = await createTask(user, { reminders: [{ at: fromNow(-MINUTE) }] });
    expect(past.reminders).toHaveLength(1);
    // Due in five minutes, reminded an hour before: also past.
    await createTask(user, { due_date: fromNow(5 * MINUTE), reminders: [{ before: 'PT1H' }] });
    await fire();
    expect(await notificationsOf(user)).toEqual([]);
  });

  it('goes off once for the task: each firing, and two at once, take it off the queue once', async () => {
    const user = await buildUser(api);
    await fire();
    const at = fromNow(1500);
    const tasks = await Promise.all(
      [1, 2, 3].map((i) => createTask(user, { title: `Once ${i}`, reminders: [{ at }] })),
    );
    await waitUntil(at);
    const [row] = await api.database.db.query<{ due: number }>(
      'SELECT count(*)::int AS due FROM reminder_queue WHERE fire_at <= now()',
    );
    const due = row!.due;
    expect(due).toBeGreaterThanOrEqual(3);
    const counts = await Promise.all([fire(), fire()]);
    expect(counts[0]! + counts[1]!).toBe(due);
    expect(await fire()).toBe(0);
    const list = await notificationsOf(user);
    expect(list.map((n) => n.task_id).sort((a, b) => a - b)).toEqual(
      tasks.map((t) => t.id).sort((a, b) => a - b),
    );
  });
});

describe('what a reminder follows', () => {
  it('an at reminder goes off once, with the title of then, however the task is edited', async () => {
    const user = await buildUser(api);
    const at = fromNow(1500);
    const task = await createTask(user, {
      title: 'First',
      due_date: fromNow(60 * MINUTE),
      reminders: [{ at }],
    });
    await writeTask(user, 'PATCH', `/api/tasks/${task.id}`, { title: 'Renamed' });
    const replaced = await writeTask(user, 'PUT', `/api/tasks/${task.id}`, {
      title: 'Renamed',
      due_date: fromNow(120 * MINUTE),
      reminders: task.reminders,
    });
    expect(replaced.reminders).toEqual(task.reminders);
    await waitUntil(at);
    await fire();
    const [first, ...others] = await notificationsOf(user);
    expect(others).toEqual([]);
    expect(first).toMatchObject({ task_id: task.id, title: 'Renamed', fire_at: at });

    // Edited after it went off: it does not go off again, and what it said stays.
    await writeTask(user, 'PATCH', `/api/tasks/${task.id}`, { title: 'Third' });
    await writeTask(user, 'PUT', `/api/tasks/${task.id}`, {
      title: 'Third',
      due_date: fromNow(180 * MINUTE),
      reminders: task.reminders,
    });
    await fire();
    expect(await notificationsOf(user)).toEqual([first]);
  });

  it('a before reminder is armed again when the due date changes', async () => {
    const user = await buildUser(api);
    const firstDue = fromNow(15 * MINUTE + 1200);
    const task = await createTask(user, { due_date: firstDue, reminders: [{ before: 'PT15M' }] });
    await waitUntil(fromNow(1200));
    await fire();
    const [first] = await notificationsOf(user);
    expect(first).toMatchObject({
      task_id: task.id,
      due_date: firstDue,
      fire_at: new Date(Date.parse(firstDue) - 15 * MINUTE).toISOString(),
    });

    const secondDue = fromNow(15 * MINUTE + 1200);
    await writeTask(user, 'PATCH', `/api/tasks/${task.id}`, { due_date: secondDue });
    await waitUntil(fromNow(1200));
    await fire();
    const list = await notificationsOf(user);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      task_id: task.id,
      due_date: secondDue,
      fire_at: new Date(Date.parse(secondDue) - 15 * MINUTE).toISOString(),
    });
    expect(list[1]).toEqual(first);
  });

  it('a before reminder of the old due date does not go off once the due date has moved', async () => {
    const user = await buildUser(api);
    const due = fromNow(15 * MINUTE + 1200);
    const task = await createTask(user, { due_date: due, reminders: [{ before: 'PT15M' }] });
    await writeTask(user, 'PATCH', `/api/tasks/${task.id}`, {
      due_date: new Date(Date.parse(due) + 60 * MINUTE).toISOString(),
    });
    await waitUntil(fromNow(1300));
    await fire();
    expect(await notificationsOf(user)).toEqual([]);
  });

  it('a removed reminder does not go off', async () => {
    const user = await buildUser(api);
    const at = fromNow(1200);
    const task = await createTask(user, { reminders: [{ at }, { at: fromNow(60 * MINUTE) }] });
    await writeTask(user, 'PATCH', `/api/tasks/${task.id}`, { reminders: [task.reminders[1]] });
    await waitUntil(at);
    await fire();
    expect(await notificationsOf(user)).toEqual([]);
  });

  it.each([
    [
      'completing it by the toggle',
      (user: TestUser, id: number) => writeTask(user, 'PATCH', `/api/tasks/${id}/complete`),
    ],
    [
      'completing it by PATCH status',
      (user: TestUser, id: number) =>
        writeTask(user, 'PATCH', `/api/tasks/${id}`, { status: 'completed' }),
    ],
    [
      'skipping it',
      (user: TestUser, id: number) => writeTask(user, 'POST', `/api/tasks/${id}/skip`),
    ],
  ])(
    'a recurring task’s before reminders move with it to the next occurrence (%s)',
    async (_way, moveOn) => {
      const user = await buildUser(api);
      // Due in four seconds. PT2S goes off in two seconds for this occurrence; P1D, a day
      // before, is past for this one, but for the next occurrence it is this due date.
      const due = fromNow(4000);
      const task = await createTask(user, {
        due_date: due,
        recurrence: 'FREQ=DAILY',
        reminders: [{ before: 'PT2S' }, { before: 'P1D' }],
      });
      const next = await moveOn(user, task.id);
      const nextDue = new Date(Date.parse(due) + 24 * 60 * MINUTE).toISOString();
      expect(next.due_date).toBe(nextDue);
      await waitUntil(due);
      await fire();
      // Only the next occurrence's P1D: the one moved on from reminds of nothing.
      expect(await notificationsOf(user)).toMatchObject([
        { task_id: task.id, due_date: nextDue, fire_at: due, late: false },
      ]);
    },
  );

  it('a completed task’s reminder leaves no notification', async () => {
    const user = await buildUser(api);
    const at = fromNow(1200);
    const task = await createTask(user, { reminders: [{ at }] });
    const done = await writeTask(user, 'PATCH', `/api/tasks/${task.id}/complete`);
    expect(done.status).toBe('completed');
    await waitUntil(at);
    await fire();
    expect(await notificationsOf(user)).toEqual([]);
  });
});

describe('who is notified', () => {
  it('the owner and the assignee; no other member of the list', async () => {
    const owner = await buildUser(api);
    const assignee = await buildUser(api);
    const other = await buildUser(api);
    const list = await sharedList(owner, [assignee, other]);
    const at = fromNow(1500);
    const task = await createTask(owner, {
      list_id: list.id,
      assignee_id: assignee.id,
      reminders: [{ at }],
    });
    await waitUntil(at);
    await fire();
    const mine = await notificationsOf(owner);
    const theirs = await notificationsOf(assignee);
    expect(mine).toMatchObject([{ task_id: task.id, fire_at: at }]);
    expect(theirs).toMatchObject([{ task_id: task.id, fire_at: at }]);
    expect(theirs[0]!.id).not.toBe(mine[0]!.id);
    expect(await notificationsOf(other)).toEqual([]);
  });

  it('the owner once when the task is assigned to the owner', async () => {
    const owner = await buildUser(api);
    const task = await createTask(owner, {
      assignee_id: owner.id,
      reminders: [{ at: fromNow(MINUTE) }],
    });
    await dueNow(task.id);
    await fire();
    expect(await notificationsOf(owner)).toHaveLength(1);
  });
});

describe('GET /api/notifications', () => {
  it('lists newest first; unread=true only the unread ones', async () => {
    const user = await buildUser(api);
    const tasks = await notified(user, 3);
    const all = await notificationsOf(user);
    expect(all.map((n) => n.task_id)).toEqual(tasks.map((t) => t.id).reverse());
    expect(all.map((n) => n.id)).toEqual([...all.map((n) => n.id)].sort((a, b) => b - a));
    await ok(markRead(user, all[1]!.id));
    const unread = await notificationsOf(user, '?unread=true');
    expect(unread.map((n) => n.id)).toEqual([all[0]!.id, all[2]!.id]);
    expect(unread.every((n) => !n.read)).toBe(true);
    expect((await notificationsOf(user, '?unread=false')).map((n) => n.id)).toEqual(
      all.map((n) => n.id),
    );
  });

  it('pages with Link rel=next and X-Next-Cursor; following them gives the rest, no duplicates', async () => {
    const user = await buildUser(api);
    await notified(user, 5);
    const all = await notificationsOf(user);
    expect(all).toHaveLength(5);
    const seen: NotificationJson[] = [];
    let path: string | undefined = '/api/notifications?limit=2';
    const sizes: number[] = [];
    while (path !== undefined) {
      const response = await api.json('GET', path, user);
      expect(response.status).toBe(200);
      const page = (await response.json()) as NotificationJson[];
      sizes.push(page.length);
      seen.push(...page);
      const link = response.headers.get('link');
      const cursor = response.headers.get('x-next-cursor');
      if (link === null) {
        expect(cursor).toBeNull();
        path = undefined;
      } else {
        expect(cursor).toBe(String(page.at(-1)!.id));
        path = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
        expect(path).toBe(`/api/notifications?limit=2&cursor=${cursor}`);
      }
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(all);
  });

  it('keeps the unread filter across pages', async () => {
    const user = await buildUser(api);
    await notified(user, 3);
    const all = await notificationsOf(user);
    await ok(markRead(user, all[0]!.id));
    const first = await api.json('GET', '/api/notifications?unread=true&limit=1', user);
    const link = first.headers.get('link')!;
    expect(link).toContain('unread=true');
    const next = /^<([^>]+)>/.exec(link)![1]!;
    const rest = await notificationsOf(user, next.replace('/api/notifications', ''));
    expect([...((await first.json()) as NotificationJson[]), ...rest].map((n) => n.id)).toEqual([
      all[1]!.id,
      all[2]!.id,
    ]);
  });

  it.each([
    'cursor=abc',
    'cursor=0',
    'cursor=-1',
    'cursor=1.5',
    'limit=0',
    'limit=101',
    'unread=yes',
  ])('answers 400 bad_request for the query %s', async (query) => {
    const user = await buildUser(api);
    const problem = await expectProblem(
      await api.json('GET', `/api/notifications?${query}`, user),
      400,
      'bad_request',
    );
    expect(problem.errors?.map((e) => e.path)).toContain(query.split('=')[0]);
  });

  it('answers 401 without credentials', async () => {
    await expectProblem(
      await api.json('GET', '/api/notifications', undefined),
      401,
      'unauthorized',
    );
  });
});

describe('reading notifications', () => {
  it('POST …/{id}/read answers 200 with read true; again, still 200', async () => {
    const user = await buildUser(api);
    await notified(user, 1);
    const [notification] = await notificationsOf(user);
    const read = await ok<NotificationJson>(markRead(user, notification!.id));
    expect(read).toEqual({ ...notification, read: true });
    expect(await ok<NotificationJson>(markRead(user, notification!.id))).toEqual(read);
    expect(await notificationsOf(user)).toEqual([read]);
    expect(await notificationsOf(user, '?unread=true')).toEqual([]);
  });

  it("answers 404 notification_not_found for another user's notification, and leaves it unread", async () => {
    const owner = await buildUser(api);
    const stranger = await buildUser(api);
    await notified(owner, 1);
    const [notification] = await notificationsOf(owner);
    await expectProblem(await markRead(stranger, notification!.id), 404, 'notification_not_found');
    expect(await notificationsOf(owner)).toEqual([notification]);
    expect(await notificationsOf(stranger)).toEqual([]);
  });

  it('answers 404 for an id that does not exist and 400 for one that is not an id', async () => {
    const user = await buildUser(api);
    await expectProblem(await markRead(user, 987654321), 404, 'notification_not_found');
    await expectProblem(await markRead(user, 'abc'), 400, 'bad_request');
  });

  it("read-all answers 204, then nothing is unread; another user's stay unread", async () => {
    const user = await buildUser(api);
    const other = await buildUser(api);
    await notified(user, 2);
    await notified(other, 1);
    const response = await api.json('POST', '/api/notifications/read-all', user);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(await notificationsOf(user, '?unread=true')).toEqual([]);
    expect((await notificationsOf(user)).map((n) => n.read)).toEqual([true, true]);
    expect(await notificationsOf(other, '?unread=true')).toHaveLength(1);
    // With nothing unread, again 204.
    expect((await api.json('POST', '/api/notifications/read-all', user)).status).toBe(204);
  });
});

describe('deleting the task', () => {
  it('removes its notifications', async () => {
    const user = await buildUser(api);
    const [task, kept] = await notified(user, 2);
    const [, gone] = await notificationsOf(user);
    expect(gone!.task_id).toBe(task!.id);
    expect((await api.json('DELETE', `/api/tasks/${task!.id}`, user)).status).toBe(204);
    expect((await notificationsOf(user)).map((n) => n.task_id)).toEqual([kept!.id]);
    await expectProblem(await markRead(user, gone!.id), 404, 'notification_not_found');
  });
});

describe('with the roles of a production database', () => {
  // `todo db roles`: an owner role that is not a superuser runs the migrations and owns the
  // tables (row-level security is forced on it), and the server runs as a runtime role.
  it('fires reminders into notifications when the tables belong to an owner that is not a superuser', async () => {
    const suffix = randomBytes(4).toString('hex');
    const names = {
      owner: `todo_owner_${suffix}`,
      app: `todo_app_${suffix}`,
      database: `todo_reminders_${suffix}`,
    };
    const script = rolesScript(names);
    for (const statement of script.cluster) await adminQuery(statement);
    const admin = new pg.Client({ connectionString: urlFor(names.database) });
    await admin.connect();
    try {
      for (const statement of script.database) await admin.query(statement);
    } finally {
      await admin.end();
    }
    const appUrl = urlFor(names.database, names.app);
    const db = openServerDatabase(appUrl);
    try {
      const config = loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: appUrl,
        DIRECT_DATABASE_URL: urlFor(names.database, names.owner),
        LOG_LEVEL: 'silent',
      });
      await migrateOnStart(config, silentLogger, db);
      const app = testApp(testConfig(appUrl), db);
      const user = await buildUser(app);
      const at = fromNow(1500);
      const created = await app.json('POST', '/api/tasks', user, {
        title: 'In production',
        reminders: [{ at }],
      });
      expect(created.status).toBe(201);
      const task = (await created.json()) as TaskJson;
      await waitUntil(at);
      expect(await fire(db)).toBe(1);
      const list = await ok<NotificationJson[]>(app.json('GET', '/api/notifications', user));
      expect(list).toMatchObject([{ task_id: task.id, title: 'In production', fire_at: at }]);
    } finally {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
      for (const role of [names.app, names.owner]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
