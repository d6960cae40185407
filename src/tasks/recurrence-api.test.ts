import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import {
  expectProblem,
  expectValidationProblem,
  readTask,
} from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import { countRows } from '../../test/support/test-database.js';
import type { ListJson } from '../lists/list-json.js';
import type { CreatedInvitationJson } from '../sharing/schemas.js';
import type { TaskJson } from './task-json.js';

// Recurring tasks and their reminders through the HTTP API: the task's new fields, which
// rules and reminders are refused, what completing (in every way a client can) and skipping
// do, the owner's time zone across daylight-saving changes, COUNT and UNTIL, the series
// starting again, two people completing the same occurrence at once, subtasks, Idempotency-Key
// and shared lists. The rules themselves are src/recurrence/rule.test.ts's.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

interface CompletionJson {
  due_date: string;
  completed_at: string;
}

async function ok<T>(response: Promise<Response> | Response, status = 200): Promise<T> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A new user; with a zone, set through PATCH /api/me before anything is created. */
async function userIn(timezone?: string): Promise<TestUser> {
  const user = await buildUser(api);
  if (timezone !== undefined) {
    const profile = await ok<{ timezone: string }>(
      api.json('PATCH', '/api/me', user, { timezone }),
    );
    expect(profile.timezone).toBe(timezone);
  }
  return user;
}

async function create(user: TestUser, body: Record<string, unknown>): Promise<TaskJson> {
  const response = await api.json('POST', '/api/tasks', user, {
    title: 'Water the plants',
    ...body,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return readTask(response);
}

/** A daily task due at `due` (by default 1 December 2026, 09:00 UTC). */
const daily = (user: TestUser, due = '2026-12-01T09:00:00.000Z', extra = {}) =>
  create(user, { due_date: due, recurrence: 'FREQ=DAILY', ...extra });

async function getTask(user: TestUser, id: number): Promise<TaskJson> {
  const response = await api.json('GET', `/api/tasks/${id}`, user);
  expect(response.status).toBe(200);
  return readTask(response);
}

async function readOk(response: Response): Promise<TaskJson> {
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get('etag')).toMatch(/^"\d+"$/);
  const task = await readTask(response.clone());
  expect(response.headers.get('etag')).toBe(`"${task.version}"`);
  return task;
}

const toggle = (user: TestUser, id: number, headers?: Record<string, string>) =>
  api.json('PATCH', `/api/tasks/${id}/complete`, user, undefined, headers);
const skip = (user: TestUser, id: number, headers?: Record<string, string>) =>
  api.json('POST', `/api/tasks/${id}/skip`, user, undefined, headers);
const patch = (user: TestUser, id: number, body: Record<string, unknown>) =>
  api.json('PATCH', `/api/tasks/${id}`, user, body);
const completions = (user: TestUser, id: number, query = '') =>
  ok<CompletionJson[]>(api.json('GET', `/api/tasks/${id}/completions${query}`, user));

/** A completed_at written between `before` and now (the database's clock is the machine's). */
function expectCompletedWithin(completedAt: string, before: number): void {
  const at = Date.parse(completedAt);
  expect(at).toBeGreaterThanOrEqual(before - 5);
  expect(at).toBeLessThanOrEqual(Date.now() + 5);
}

/** The date (year, month, day) an instant falls on in `zone`. */
function dateIn(zone: string, instant: Date): [number, number, number] {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(instant);
  const field = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return [field('year'), field('month'), field('day')];
}

/** How many backends of the test database wait for a lock. */
async function lockWaiters(): Promise<number> {
  const [row] = await api.database.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return row!.n;
}

/**
 * Starts the requests while the task's row is locked, and lets go only once every one of them
 * waits for that lock: they all read the task at the same occurrence, whatever the timing.
 */
async function atOnce(taskId: number, requests: () => Promise<Response>[]): Promise<Response[]> {
  let started: Promise<Response>[] = [];
  await api.database.db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE', [taskId]);
    started = requests();
    const deadline = Date.now() + 15_000;
    while ((await lockWaiters()) < started.length) {
      if (Date.now() > deadline) throw new Error('the requests never waited for the row');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return Promise.all(started);
}

describe('the task JSON', () => {
  it('has recurrence null, recurrence_mode fixed, next_due_date null and reminders [] by default', async () => {
    const user = await userIn();
    const task = await create(user, { due_date: '2026-12-01T09:00:00Z' });
    expect(task).toMatchObject({
      recurrence: null,
      recurrence_mode: 'fixed',
      next_due_date: null,
      reminders: [],
    });
  });

  it('stores the rule without its RRULE: prefix, normalised, and shows the next due date', async () => {
    const user = await userIn();
    const task = await create(user, {
      due_date: '2026-12-04T09:00:00Z',
      recurrence: 'RRULE:byday=fr,mo;freq=weekly;interval=1;wkst=mo',
    });
    expect(task.recurrence).toBe('FREQ=WEEKLY;BYDAY=MO,FR');
    expect(task.recurrence_mode).toBe('fixed');
    expect(task.due_date).toBe('2026-12-04T09:00:00.000Z');
    // Friday 4 December: next is Monday the 7th.
    expect(task.next_due_date).toBe('2026-12-07T09:00:00.000Z');
    expect(await getTask(user, task.id)).toEqual(task);
  });

  it('has next_due_date null when the task is at the last occurrence of its COUNT', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;COUNT=1' });
    expect(task.next_due_date).toBeNull();
    expect(task.recurrence).toBe('FREQ=DAILY;COUNT=1');
  });
});

describe('rules that are refused (422 at path recurrence)', () => {
  it.each([
    ['an unknown part (BYSETPOS)', { recurrence: 'FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1' }],
    ['a frequency below a day (HOURLY)', { recurrence: 'FREQ=HOURLY' }],
    ['COUNT with UNTIL', { recurrence: 'FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z' }],
    [
      'from_completion with BYDAY',
      { recurrence: 'FREQ=WEEKLY;BYDAY=MO', recurrence_mode: 'from_completion' },
    ],
    ['no FREQ', { recurrence: 'INTERVAL=2' }],
    ['an empty rule', { recurrence: '' }],
  ])('refuses %s on create, and creates nothing', async (_case, body) => {
    const user = await userIn();
    await expectValidationProblem(
      await api.json('POST', '/api/tasks', user, {
        title: 'Bad rule',
        due_date: '2026-12-01T09:00:00Z',
        ...body,
      }),
      ['recurrence'],
    );
    expect(await countRows(api.database.db, 'tasks', 'user_id = $1', [user.id])).toBe(0);
  });

  it('refuses a rule without a due date on create and on PUT', async () => {
    const user = await userIn();
    await expectValidationProblem(
      await api.json('POST', '/api/tasks', user, { title: 'No date', recurrence: 'FREQ=DAILY' }),
      ['recurrence'],
    );
    const task = await daily(user);
    await expectValidationProblem(
      await api.json('PUT', `/api/tasks/${task.id}`, user, {
        title: 'No date',
        recurrence: 'FREQ=DAILY',
      }),
      ['recurrence'],
    );
    await expectValidationProblem(
      await patch(user, task.id, { due_date: null, recurrence: 'FREQ=WEEKLY' }),
      ['recurrence'],
    );
    expect(await getTask(user, task.id)).toEqual(task);
  });

  it('refuses a PATCH that takes the due date off a recurring task (the database checks it)', async () => {
    const user = await userIn();
    const task = await daily(user);
    const problem = await expectValidationProblem(await patch(user, task.id, { due_date: null }), [
      'recurrence',
    ]);
    expect(problem.errors).toEqual([{ path: 'recurrence', message: 'needs a due_date' }]);
    expect(await getTask(user, task.id)).toEqual(task);
  });

  it('refuses a PATCH that gives a rule to a task without a due date', async () => {
    const user = await userIn();
    const task = await create(user, {});
    const problem = await expectValidationProblem(
      await patch(user, task.id, { recurrence: 'FREQ=DAILY' }),
      ['recurrence'],
    );
    expect(problem.errors).toEqual([{ path: 'recurrence', message: 'needs a due_date' }]);
    expect(await getTask(user, task.id)).toEqual(task);
  });

  it('refuses a PATCH to from_completion of a task whose rule has BY parts (the database checks it)', async () => {
    const user = await userIn();
    const task = await create(user, {
      due_date: '2026-12-07T09:00:00Z',
      recurrence: 'FREQ=WEEKLY;BYDAY=MO',
    });
    await expectValidationProblem(
      await patch(user, task.id, { recurrence_mode: 'from_completion' }),
      ['recurrence'],
    );
    expect(await getTask(user, task.id)).toEqual(task);
  });
});

describe('completing a recurring task', () => {
  const ways: [string, (user: TestUser, task: TaskJson) => Promise<Response>][] = [
    ['the toggle', (user, task) => toggle(user, task.id)],
    ['PATCH status completed', (user, task) => patch(user, task.id, { status: 'completed' })],
    ['PATCH completed true', (user, task) => patch(user, task.id, { completed: true })],
    [
      'PUT with status completed',
      (user, task) =>
        api.json('PUT', `/api/tasks/${task.id}`, user, {
          title: task.title,
          due_date: task.due_date,
          recurrence: task.recurrence,
          recurrence_mode: task.recurrence_mode,
          status: 'completed',
        }),
    ],
  ];

  it.each(ways)(
    'by %s: answers the task at its next occurrence, pending, and records the completion',
    async (_way, complete) => {
      const user = await userIn();
      const task = await daily(user);
      expect(task.next_due_date).toBe('2026-12-02T09:00:00.000Z');

      const before = Date.now();
      const next = await readOk(await complete(user, task));
      expect(next).toMatchObject({
        id: task.id,
        status: 'pending',
        completed: false,
        completed_at: null,
        due_date: '2026-12-02T09:00:00.000Z',
        next_due_date: '2026-12-03T09:00:00.000Z',
        recurrence: 'FREQ=DAILY',
        version: task.version + 1,
      });
      expect(await getTask(user, task.id)).toEqual(next);
      const [first, ...others] = await completions(user, task.id);
      expect(others).toEqual([]);
      expect(first!.due_date).toBe('2026-12-01T09:00:00.000Z');
      expectCompletedWithin(first!.completed_at, before);

      // Once more: the next occurrence, and the completions newest first.
      const third = await readOk(await complete(user, next));
      expect(third).toMatchObject({
        status: 'pending',
        due_date: '2026-12-03T09:00:00.000Z',
        version: task.version + 2,
      });
      expect((await completions(user, task.id)).map((c) => c.due_date)).toEqual([
        '2026-12-02T09:00:00.000Z',
        '2026-12-01T09:00:00.000Z',
      ]);
    },
  );

  it('pages completions newest first with Link and X-Next-Cursor', async () => {
    const user = await userIn();
    const task = await daily(user);
    for (let i = 0; i < 3; i++) await readOk(await toggle(user, task.id));
    const first = await api.json('GET', `/api/tasks/${task.id}/completions?limit=2`, user);
    expect(first.status).toBe(200);
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toMatch(/^\d+$/);
    expect(first.headers.get('link')).toBe(
      `</api/tasks/${task.id}/completions?limit=2&cursor=${cursor}>; rel="next"`,
    );
    const page1 = (await first.json()) as CompletionJson[];
    const page2 = await completions(user, task.id, `?limit=2&cursor=${cursor}`);
    expect([...page1, ...page2].map((c) => c.due_date)).toEqual([
      '2026-12-03T09:00:00.000Z',
      '2026-12-02T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
    ]);
  });

  it('answers 404 task_not_found for the completions of a task that is not the caller’s', async () => {
    const owner = await userIn();
    const stranger = await userIn();
    const task = await daily(owner);
    await readOk(await toggle(owner, task.id));
    await expectProblem(
      await api.json('GET', `/api/tasks/${task.id}/completions`, stranger),
      404,
      'task_not_found',
    );
  });
});

describe("the owner's time zone", () => {
  it('keeps a daily 09:00 task at 09:00 in Europe/Berlin across the March 2027 change (08:00Z → 07:00Z)', async () => {
    const user = await userIn('Europe/Berlin');
    const task = await daily(user, '2027-03-27T08:00:00.000Z');
    expect(task.next_due_date).toBe('2027-03-28T07:00:00.000Z');
    const next = await readOk(await toggle(user, task.id));
    expect(next.due_date).toBe('2027-03-28T07:00:00.000Z');
    expect(next.next_due_date).toBe('2027-03-29T07:00:00.000Z');
  });

  it('keeps a daily 09:00 task at 09:00 in America/New_York across the November 2026 change (13:00Z → 14:00Z)', async () => {
    const user = await userIn('America/New_York');
    const task = await daily(user, '2026-10-31T13:00:00.000Z');
    const next = await readOk(await toggle(user, task.id));
    expect(next.due_date).toBe('2026-11-01T14:00:00.000Z');
    expect(next.next_due_date).toBe('2026-11-02T14:00:00.000Z');
  });

  it('computes the same task in UTC for an owner who never set a zone (no shift)', async () => {
    const user = await userIn();
    const task = await daily(user, '2027-03-27T08:00:00.000Z');
    const next = await readOk(await toggle(user, task.id));
    expect(next.due_date).toBe('2027-03-28T08:00:00.000Z');
  });

  it('from_completion: the day it is completed (in the zone) plus the interval, at the due time of day', async () => {
    const zone = 'Asia/Tokyo';
    const user = await userIn(zone);
    // 09:30 in Tokyo (UTC+9, no daylight saving), long ago.
    const task = await create(user, {
      due_date: '2026-10-01T00:30:00.000Z',
      recurrence: 'FREQ=DAILY;INTERVAL=3',
      recurrence_mode: 'from_completion',
    });
    expect(task.recurrence_mode).toBe('from_completion');
    /** 09:30 Tokyo (00:30Z) three days after the date `instant` falls on in Tokyo. */
    const expectedFrom = (instant: Date) => {
      const [year, month, day] = dateIn(zone, instant);
      return new Date(Date.UTC(year, month - 1, day + 3, 0, 30)).toISOString();
    };
    const before = new Date();
    const next = await readOk(await toggle(user, task.id));
    const after = new Date();
    // The two agree except when the request straddles midnight in Tokyo.
    expect([expectedFrom(before), expectedFrom(after)]).toContain(next.due_date);
    expect(next.status).toBe('pending');
    expect((await completions(user, task.id)).map((c) => c.due_date)).toEqual([
      '2026-10-01T00:30:00.000Z',
    ]);
  });
});

describe('COUNT and UNTIL', () => {
  it('FREQ=DAILY;COUNT=2: the first completion advances, the second completes the task for good', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;COUNT=2' });
    expect(task.next_due_date).toBe('2026-12-02T09:00:00.000Z');
    const second = await readOk(await toggle(user, task.id));
    expect(second).toMatchObject({
      status: 'pending',
      due_date: '2026-12-02T09:00:00.000Z',
      next_due_date: null,
    });
    const done = await readOk(await toggle(user, task.id));
    expect(done).toMatchObject({
      status: 'completed',
      completed: true,
      due_date: '2026-12-02T09:00:00.000Z',
      next_due_date: null,
      version: task.version + 2,
    });
    expect((await completions(user, task.id)).map((c) => c.due_date)).toEqual([
      '2026-12-02T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
    ]);
    await expectProblem(await skip(user, task.id), 409, 'no_next_occurrence');
    expect(await getTask(user, task.id)).toEqual(done);
  });

  it('UNTIL: an occurrence at UNTIL is the last one; completing it completes the task', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;UNTIL=20261202T090000Z' });
    const last = await readOk(await toggle(user, task.id));
    expect(last).toMatchObject({
      status: 'pending',
      due_date: '2026-12-02T09:00:00.000Z',
      next_due_date: null,
    });
    const done = await readOk(await toggle(user, task.id));
    expect(done).toMatchObject({ status: 'completed', due_date: '2026-12-02T09:00:00.000Z' });
    expect(await completions(user, task.id)).toHaveLength(2);
    await expectProblem(await skip(user, task.id), 409, 'no_next_occurrence');
  });

  it('skipping the last occurrence is 409 no_next_occurrence, and the task stays as it was', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;COUNT=2' });
    const last = await readOk(await skip(user, task.id));
    expect(last.due_date).toBe('2026-12-02T09:00:00.000Z');
    await expectProblem(await skip(user, task.id), 409, 'no_next_occurrence');
    expect(await getTask(user, task.id)).toEqual(last);
    expect(await completions(user, task.id)).toEqual([]);
  });
});

describe('skip', () => {
  it('moves the due date to the next occurrence without recording a completion', async () => {
    const user = await userIn();
    const task = await daily(user);
    const skipped = await readOk(await skip(user, task.id));
    expect(skipped).toMatchObject({
      status: 'pending',
      due_date: '2026-12-02T09:00:00.000Z',
      next_due_date: '2026-12-03T09:00:00.000Z',
      version: task.version + 1,
    });
    expect(await getTask(user, task.id)).toEqual(skipped);
    expect(await completions(user, task.id)).toEqual([]);
  });

  it('answers 422 not_recurring for a task without a rule, and changes nothing', async () => {
    const user = await userIn();
    const task = await create(user, { due_date: '2026-12-01T09:00:00Z' });
    await expectProblem(await skip(user, task.id), 422, 'not_recurring');
    expect(await getTask(user, task.id)).toEqual(task);
  });

  it('answers 412 for a stale If-Match and 200 for the current one', async () => {
    const user = await userIn();
    const task = await daily(user);
    await expectProblem(
      await skip(user, task.id, { 'if-match': `"${task.version + 1}"` }),
      412,
      'version_mismatch',
    );
    expect(await getTask(user, task.id)).toEqual(task);
    const skipped = await readOk(await skip(user, task.id, { 'if-match': `"${task.version}"` }));
    expect(skipped.due_date).toBe('2026-12-02T09:00:00.000Z');
  });

  it("answers 404 task_not_found for another user's task, and changes nothing", async () => {
    const owner = await userIn();
    const stranger = await userIn();
    const task = await daily(owner);
    await expectProblem(await skip(stranger, task.id), 404, 'task_not_found');
    expect(await getTask(owner, task.id)).toEqual(task);
  });
});

describe('two people completing the same occurrence at once', () => {
  it.each([
    ['two toggles', (user: TestUser, id: number) => toggle(user, id)],
    [
      'two PATCHes of status completed',
      (user: TestUser, id: number) => patch(user, id, { status: 'completed' }),
    ],
  ])('%s: the task advances once, with one completion', async (_case, complete) => {
    const user = await userIn();
    const task = await daily(user);
    const replies = await atOnce(task.id, () => [complete(user, task.id), complete(user, task.id)]);
    const answers = await Promise.all(replies.map(readOk));
    const stored = await getTask(user, task.id);
    expect(stored).toMatchObject({
      status: 'pending',
      due_date: '2026-12-02T09:00:00.000Z',
      version: task.version + 1,
    });
    // Both are told where the task is now.
    for (const answer of answers) expect(answer).toEqual(stored);
    expect((await completions(user, task.id)).map((c) => c.due_date)).toEqual([
      '2026-12-01T09:00:00.000Z',
    ]);
  });

  it('with If-Match of the same version: one 200, one 412', async () => {
    const user = await userIn();
    const task = await daily(user);
    const ifMatch = { 'if-match': `"${task.version}"` };
    const replies = await atOnce(task.id, () => [
      toggle(user, task.id, ifMatch),
      api.json('PATCH', `/api/tasks/${task.id}`, user, { status: 'completed' }, ifMatch),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 412]);
    await expectProblem(replies.find((r) => r.status === 412)!, 412, 'version_mismatch');
    expect(await getTask(user, task.id)).toMatchObject({
      due_date: '2026-12-02T09:00:00.000Z',
      version: task.version + 1,
    });
    expect(await completions(user, task.id)).toHaveLength(1);
  });
});

describe('the series starts again', () => {
  it('when the due date is changed by hand: COUNT counts again from there', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;COUNT=2' });
    const second = await readOk(await toggle(user, task.id));
    expect(second.next_due_date).toBeNull();
    const moved = await readOk(await patch(user, task.id, { due_date: '2026-12-10T09:00:00Z' }));
    expect(moved.next_due_date).toBe('2026-12-11T09:00:00.000Z');
    const again = await readOk(await toggle(user, task.id));
    expect(again).toMatchObject({ status: 'pending', due_date: '2026-12-11T09:00:00.000Z' });
    const done = await readOk(await toggle(user, task.id));
    expect(done.status).toBe('completed');
    expect((await completions(user, task.id)).map((c) => c.due_date)).toEqual([
      '2026-12-11T09:00:00.000Z',
      '2026-12-10T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
    ]);
  });

  it('when the rule is changed: from the current due date, with the new rule', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;COUNT=2' });
    await readOk(await toggle(user, task.id));
    const changed = await readOk(
      await patch(user, task.id, { recurrence: 'FREQ=DAILY;INTERVAL=2;COUNT=2' }),
    );
    expect(changed).toMatchObject({
      due_date: '2026-12-02T09:00:00.000Z',
      next_due_date: '2026-12-04T09:00:00.000Z',
    });
    const again = await readOk(await toggle(user, task.id));
    expect(again).toMatchObject({ status: 'pending', due_date: '2026-12-04T09:00:00.000Z' });
    expect((await readOk(await toggle(user, task.id))).status).toBe('completed');
  });

  it('not when the same rule is sent again (an edit of something else)', async () => {
    const user = await userIn();
    const task = await daily(user, undefined, { recurrence: 'FREQ=DAILY;COUNT=2' });
    await readOk(await toggle(user, task.id));
    const edited = await readOk(
      await patch(user, task.id, { title: 'Renamed', recurrence: 'RRULE:FREQ=DAILY;COUNT=2' }),
    );
    expect(edited.next_due_date).toBeNull();
    expect((await readOk(await toggle(user, task.id))).status).toBe('completed');
  });
});

describe('PUT replaces the whole task', () => {
  it('without recurrence and reminders clears them (recurrence null, fixed, [])', async () => {
    const user = await userIn();
    const task = await create(user, {
      due_date: '2026-12-01T09:00:00Z',
      recurrence: 'FREQ=DAILY',
      recurrence_mode: 'from_completion',
      reminders: [{ before: 'PT15M' }],
    });
    const replaced = await readOk(
      await api.json('PUT', `/api/tasks/${task.id}`, user, {
        title: 'Plain',
        due_date: '2026-12-01T09:00:00Z',
      }),
    );
    expect(replaced).toMatchObject({
      recurrence: null,
      recurrence_mode: 'fixed',
      next_due_date: null,
      reminders: [],
    });
    // Completing it now completes it.
    const done = await readOk(await toggle(user, task.id));
    expect(done).toMatchObject({ status: 'completed', due_date: '2026-12-01T09:00:00.000Z' });
    expect(await completions(user, task.id)).toEqual([]);
  });
});

describe('reminders on the task', () => {
  const withReminders = (
    user: TestUser,
    reminders: unknown[],
    due: string | null = '2026-12-01T09:00:00Z',
  ) => api.json('POST', '/api/tasks', user, { title: 'Remind me', due_date: due, reminders });

  it('takes at most 5 distinct reminders: 6 is 422 at reminders; 6 with one repeated is 5', async () => {
    const user = await userIn();
    const six = ['PT5M', 'PT10M', 'PT15M', 'PT30M', 'PT1H', 'P1D'].map((before) => ({ before }));
    await expectValidationProblem(await withReminders(user, six), ['reminders']);
    const response = await withReminders(user, [...six.slice(0, 5), { before: 'pt5m' }]);
    expect(response.status).toBe(201);
    expect(
      (await readTask(response)).reminders.map((r) => ('before' in r ? r.before : r.at)),
    ).toEqual(['PT5M', 'PT10M', 'PT15M', 'PT30M', 'PT1H']);
  });

  it('refuses a reminder before the due date on a task without one (create: 422 at reminders)', async () => {
    const user = await userIn();
    await expectValidationProblem(await withReminders(user, [{ before: 'PT15M' }], null), [
      'reminders',
    ]);
    await expectValidationProblem(
      await api.json('POST', '/api/tasks', user, { title: 'x', reminders: [{ before: 'PT15M' }] }),
      ['reminders'],
    );
    expect(await countRows(api.database.db, 'tasks', 'user_id = $1', [user.id])).toBe(0);
  });

  it('refuses, by the database, a PATCH that leaves a before reminder without a due date', async () => {
    const user = await userIn();
    const plain = await create(user, {});
    const problem = await expectValidationProblem(
      await patch(user, plain.id, { reminders: [{ before: 'PT15M' }] }),
      ['reminders'],
    );
    expect(problem.errors).toEqual([
      { path: 'reminders', message: 'a reminder before the due date needs a due_date' },
    ]);
    expect(await getTask(user, plain.id)).toEqual(plain);

    const dated = await create(user, {
      due_date: '2026-12-01T09:00:00Z',
      reminders: [{ before: 'PT15M' }],
    });
    await expectValidationProblem(await patch(user, dated.id, { due_date: null }), ['reminders']);
    expect(await getTask(user, dated.id)).toEqual(dated);
  });

  it('collapses the same reminder sent twice, upper-cases a duration and writes times in UTC', async () => {
    const user = await userIn();
    const task = await readTask(
      await withReminders(user, [
        { before: 'pt15m' },
        { before: 'PT15M' },
        { at: '2026-12-01T08:00:00+01:00' },
        { at: '2026-12-01T07:00:00.000Z' },
      ]),
    );
    expect(task.reminders).toEqual([
      { id: expect.any(String), before: 'PT15M' },
      { id: expect.any(String), at: '2026-12-01T07:00:00.000Z' },
    ]);
  });

  it('keeps the ids when the same reminders are sent again (PATCH, PUT), whatever id is sent', async () => {
    const user = await userIn();
    const reminders = [{ before: 'PT15M' }, { at: '2026-12-01T07:00:00Z' }];
    const task = await readTask(await withReminders(user, reminders));
    const ids = task.reminders.map((r) => r.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{10}$/);

    const patched = await readOk(
      await patch(user, task.id, {
        reminders: [{ id: 'mine', before: 'pt15m' }, ...reminders.slice(1)],
      }),
    );
    expect(patched.reminders).toEqual(task.reminders);
    const put = await readOk(
      await api.json('PUT', `/api/tasks/${task.id}`, user, {
        title: 'Remind me',
        due_date: '2026-12-01T09:00:00Z',
        reminders: task.reminders,
      }),
    );
    expect(put.reminders).toEqual(task.reminders);
    // The same reminder on another task has the same id: it is derived from what it says.
    const other = await readTask(await withReminders(user, reminders));
    expect(other.reminders).toEqual(task.reminders);
  });

  it.each(['PT', '15M', 'P', 'PT15X', 'P1Y', 'P1W2D', '', 'PT-5M'])(
    'refuses the duration %j (422)',
    async (before) => {
      const user = await userIn();
      const problem = await expectProblem(
        await withReminders(user, [{ before }]),
        422,
        'validation_failed',
      );
      expect(problem.errors!.some((e) => e.path.startsWith('reminders'))).toBe(true);
    },
  );

  it('refuses a reminder with both at and before, or neither', async () => {
    const user = await userIn();
    for (const reminder of [
      { at: '2026-12-01T07:00:00Z', before: 'PT15M' },
      {},
      { after: 'PT1M' },
    ]) {
      const problem = await expectProblem(
        await withReminders(user, [reminder]),
        422,
        'validation_failed',
      );
      expect(problem.errors!.some((e) => e.path.startsWith('reminders'))).toBe(true);
    }
  });
});

describe('subtasks', () => {
  it('completing a parent completes a recurring subtask for good, its completion recorded', async () => {
    const user = await userIn();
    const parent = await create(user, { title: 'Parent' });
    const child = await daily(user, undefined, { parent_id: parent.id });
    const done = await readOk(await toggle(user, parent.id));
    expect(done.subtasks).toEqual({ total: 1, completed: 1 });
    expect(await getTask(user, child.id)).toMatchObject({
      status: 'completed',
      due_date: '2026-12-01T09:00:00.000Z',
      recurrence: 'FREQ=DAILY',
      next_due_date: null,
    });
    expect((await completions(user, child.id)).map((c) => c.due_date)).toEqual([
      '2026-12-01T09:00:00.000Z',
    ]);
  });

  it('completing a recurring parent moves it on and leaves its open subtasks open', async () => {
    const user = await userIn();
    const parent = await daily(user, undefined, { title: 'Parent' });
    const child = await create(user, { title: 'Child', parent_id: parent.id });
    const next = await readOk(await toggle(user, parent.id));
    expect(next).toMatchObject({ status: 'pending', due_date: '2026-12-02T09:00:00.000Z' });
    expect(next.subtasks).toEqual({ total: 1, completed: 0 });
    expect((await getTask(user, child.id)).status).toBe('pending');
  });
});

describe('Idempotency-Key', () => {
  it('replays the create of a recurring task with reminders: the same task, created once', async () => {
    const user = await userIn('Europe/Berlin');
    const body = {
      title: 'Weekly review',
      due_date: '2026-12-04T16:00:00Z',
      recurrence: 'RRULE:FREQ=WEEKLY;BYDAY=FR',
      reminders: [{ before: 'PT30M' }, { at: '2026-12-04T08:00:00Z' }],
    };
    const headers = { 'idempotency-key': 'weekly-review' };
    const first = await api.json('POST', '/api/tasks', user, body, headers);
    expect(first.status).toBe(201);
    const created = await readTask(first);
    const again = await api.json('POST', '/api/tasks', user, body, headers);
    expect(again.status).toBe(201);
    expect(await readTask(again)).toEqual(created);
    expect(created).toMatchObject({
      recurrence: 'FREQ=WEEKLY;BYDAY=FR',
      next_due_date: '2026-12-11T16:00:00.000Z',
    });
    expect(await countRows(api.database.db, 'tasks', 'user_id = $1', [user.id])).toBe(1);
    // And the replayed task behaves as the stored one: it advances in the owner's zone.
    const next = await readOk(await toggle(user, created.id));
    expect(next.due_date).toBe('2026-12-11T16:00:00.000Z');
  });
});

describe('shared lists', () => {
  async function sharedList(owner: TestUser, members: [TestUser, string][]): Promise<ListJson> {
    const list = await ok<ListJson>(api.json('POST', '/api/lists', owner, { name: 'Home' }), 201);
    for (const [member, role] of members) {
      const { token } = await ok<CreatedInvitationJson>(
        api.json('POST', `/api/lists/${list.id}/invitations`, owner, { role }),
        201,
      );
      await ok(api.json('POST', `/api/invitations/${token}/accept`, member));
    }
    return list;
  }

  it("an editor's completion advances the owner's task in the owner's time zone", async () => {
    const owner = await userIn('Europe/Berlin');
    const editor = await userIn('America/New_York');
    const list = await sharedList(owner, [[editor, 'editor']]);
    const task = await daily(owner, '2027-03-27T08:00:00.000Z', { list_id: list.id });
    // Seen by the editor, the next due date is the owner's 09:00 as well.
    expect((await getTask(editor, task.id)).next_due_date).toBe('2027-03-28T07:00:00.000Z');
    const next = await readOk(await toggle(editor, task.id));
    expect(next.due_date).toBe('2027-03-28T07:00:00.000Z');
    expect((await completions(owner, task.id)).map((c) => c.due_date)).toEqual([
      '2027-03-27T08:00:00.000Z',
    ]);
    // A task the editor creates in the owner's list runs in the owner's zone too.
    const theirs = await daily(editor, '2027-03-27T08:00:00.000Z', { list_id: list.id });
    expect(theirs.user_id).toBe(owner.id);
    expect((await readOk(await skip(editor, theirs.id))).due_date).toBe('2027-03-28T07:00:00.000Z');
  });

  it("a viewer's toggle or skip is 403 insufficient_role, and changes nothing", async () => {
    const owner = await userIn();
    const viewer = await userIn();
    const list = await sharedList(owner, [[viewer, 'viewer']]);
    const task = await daily(owner, undefined, { list_id: list.id });
    await expectProblem(await toggle(viewer, task.id), 403, 'insufficient_role');
    await expectProblem(await skip(viewer, task.id), 403, 'insufficient_role');
    expect(await getTask(owner, task.id)).toEqual(task);
    expect(await completions(viewer, task.id)).toEqual([]);
  });
});
