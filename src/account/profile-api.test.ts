import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import {
  expectProblem,
  expectValidationProblem,
  ISO_UTC,
  readTask,
} from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import { NAME_MAX_LENGTH } from '../auth/auth-policy.js';
import type { TaskJson } from '../tasks/task-json.js';

// The caller's profile: GET /api/me and PATCH /api/me (name, time zone, email reminders),
// what is refused, and that a new time zone carries the owner's recurring tasks with it.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

interface ProfileJson {
  id: string;
  email: string;
  name: string;
  timezone: string;
  email_reminders: boolean;
  created_at: string;
  counts: Record<string, number>;
}

const profileKeys = [
  'id',
  'email',
  'name',
  'timezone',
  'email_reminders',
  'created_at',
  'counts',
].sort();

async function getMe(user: TestUser): Promise<ProfileJson> {
  const response = await api.json('GET', '/api/me', user);
  expect(response.status).toBe(200);
  const profile = (await response.json()) as ProfileJson;
  expect(Object.keys(profile).sort()).toEqual(profileKeys);
  return profile;
}

async function patchMe(user: TestUser, body: unknown): Promise<ProfileJson> {
  const response = await api.json('PATCH', '/api/me', user, body);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(text) as ProfileJson;
}

async function createTask(user: TestUser, body: Record<string, unknown>): Promise<TaskJson> {
  const response = await api.json('POST', '/api/tasks', user, { title: 'Stand-up', ...body });
  expect(response.status).toBe(201);
  return readTask(response);
}

async function getTask(user: TestUser, id: number): Promise<TaskJson> {
  const response = await api.json('GET', `/api/tasks/${id}`, user);
  expect(response.status).toBe(200);
  return readTask(response);
}

async function toggle(user: TestUser, id: number): Promise<TaskJson> {
  const response = await api.json('PATCH', `/api/tasks/${id}/complete`, user);
  expect(response.status).toBe(200);
  return readTask(response);
}

describe('GET /api/me', () => {
  it('has time zone UTC and email reminders on for a new account', async () => {
    const user = await buildUser(api, { name: 'Ann Example' });
    const profile = await getMe(user);
    expect(profile).toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Ann Example',
      timezone: 'UTC',
      email_reminders: true,
    });
    expect(profile.created_at).toMatch(ISO_UTC);
  });
});

describe('PATCH /api/me', () => {
  it.each([
    ['timezone', { timezone: 'Europe/Berlin' }],
    ['timezone (a zone with three parts)', { timezone: 'America/Argentina/Buenos_Aires' }],
    ['email_reminders', { email_reminders: false }],
    ['name', { name: 'Ann Renamed' }],
    ['all three', { name: 'Bo', timezone: 'Asia/Kolkata', email_reminders: false }],
  ])('changes %s: 200 with the profile as GET answers it, and it persists', async (_f, body) => {
    const user = await buildUser(api);
    const before = await getMe(user);
    const patched = await patchMe(user, body);
    expect(Object.keys(patched).sort()).toEqual(profileKeys);
    expect(patched).toEqual({ ...before, ...body });
    expect(await getMe(user)).toEqual(patched);
  });

  it('changes nothing else: a second PATCH keeps the first', async () => {
    const user = await buildUser(api, { name: 'Cy' });
    await patchMe(user, { timezone: 'Europe/Berlin' });
    await patchMe(user, { email_reminders: false });
    expect(await getMe(user)).toMatchObject({
      name: 'Cy',
      timezone: 'Europe/Berlin',
      email_reminders: false,
    });
    await patchMe(user, { email_reminders: true });
    expect(await getMe(user)).toMatchObject({ timezone: 'Europe/Berlin', email_reminders: true });
  });

  it('answers an empty body with the profile unchanged', async () => {
    const user = await buildUser(api);
    const before = await getMe(user);
    expect(await patchMe(user, {})).toEqual(before);
  });

  it('stores the name without leading or trailing white space', async () => {
    const user = await buildUser(api);
    expect((await patchMe(user, { name: '  Dee Trimmed \t' })).name).toBe('Dee Trimmed');
    expect((await getMe(user)).name).toBe('Dee Trimmed');
  });

  it.each(['Mars/Olympus', 'utc+1', '+01:00', 'UTC+01:00', '', 'Europe/Berlin/', 'Europe/Nowhere'])(
    'answers 422 at timezone for the unknown zone %j, and keeps the old one',
    async (timezone) => {
      const user = await buildUser(api);
      await patchMe(user, { timezone: 'Europe/Berlin' });
      const problem = await expectValidationProblem(
        await api.json('PATCH', '/api/me', user, { timezone }),
        ['timezone'],
      );
      expect(problem.errors!.map((e) => e.path)).toEqual(['timezone']);
      expect((await getMe(user)).timezone).toBe('Europe/Berlin');
    },
  );

  it('answers 422 at timezone for a zone spelled in another case than the zone database’s (the database checks it)', async () => {
    const user = await buildUser(api);
    await expectValidationProblem(
      await api.json('PATCH', '/api/me', user, { timezone: 'europe/berlin' }),
      ['timezone'],
    );
    expect((await getMe(user)).timezone).toBe('UTC');
  });

  it.each([
    ['an unknown field', { colour: 'blue' }, 'colour'],
    ['the email (read-only here)', { email: 'new@example.test' }, 'email'],
    ['the id', { id: 'someone-else' }, 'id'],
    ['an empty name', { name: '' }, 'name'],
    ['a name of white space only', { name: '   ' }, 'name'],
    ['a name too long', { name: 'x'.repeat(NAME_MAX_LENGTH + 1) }, 'name'],
    ['a name that is not a string', { name: 42 }, 'name'],
    ['email_reminders not a boolean', { email_reminders: 'yes' }, 'email_reminders'],
    ['a timezone that is not a string', { timezone: 1 }, 'timezone'],
  ])('answers 422 for %s, naming %s, and changes nothing', async (_case, body, path) => {
    const user = await buildUser(api);
    const before = await getMe(user);
    await expectValidationProblem(await api.json('PATCH', '/api/me', user, body), [path]);
    expect(await getMe(user)).toEqual(before);
  });

  it('accepts a name of exactly the longest length', async () => {
    const user = await buildUser(api);
    const name = 'y'.repeat(NAME_MAX_LENGTH);
    expect((await patchMe(user, { name })).name).toBe(name);
  });

  it('answers 401 without credentials', async () => {
    await expectProblem(
      await api.json('PATCH', '/api/me', undefined, { timezone: 'Europe/Berlin' }),
      401,
      'unauthorized',
    );
  });
});

describe("a new time zone carries the owner's recurring tasks", () => {
  it('a daily 09:00 UTC task keeps its instant in a zone without daylight saving (Asia/Kolkata: 14:30)', async () => {
    const user = await buildUser(api);
    const task = await createTask(user, {
      due_date: '2026-12-01T09:00:00Z',
      recurrence: 'FREQ=DAILY',
    });
    expect(task.next_due_date).toBe('2026-12-02T09:00:00.000Z');
    await patchMe(user, { timezone: 'Asia/Kolkata' });
    expect((await getTask(user, task.id)).next_due_date).toBe('2026-12-02T09:00:00.000Z');
    expect((await toggle(user, task.id)).due_date).toBe('2026-12-02T09:00:00.000Z');
  });

  it("repeats at the series' wall-clock time in the new zone: 08:00 UTC becomes 09:00 Berlin, across the March change", async () => {
    const user = await buildUser(api);
    // 08:00 UTC; in Berlin, 09:00 CET on 27 March 2027, the day before clocks go forward.
    const task = await createTask(user, {
      due_date: '2027-03-27T08:00:00Z',
      recurrence: 'FREQ=DAILY',
    });
    expect(task.next_due_date).toBe('2027-03-28T08:00:00.000Z');
    await patchMe(user, { timezone: 'Europe/Berlin' });
    const moved = await getTask(user, task.id);
    // 09:00 CEST on 28 March is 07:00 UTC.
    expect(moved.next_due_date).toBe('2027-03-28T07:00:00.000Z');
    expect(moved.due_date).toBe('2027-03-27T08:00:00.000Z');
    expect((await toggle(user, task.id)).due_date).toBe('2027-03-28T07:00:00.000Z');
  });

  it("leaves other people's tasks alone, those of a list the user is a member of included", async () => {
    const owner = await buildUser(api);
    const member = await buildUser(api);
    const list = await api.json('POST', '/api/lists', owner, { name: 'Team' });
    const { id: listId } = (await list.json()) as { id: number };
    const invited = await api.json('POST', `/api/lists/${listId}/invitations`, owner, {
      role: 'editor',
    });
    const { token } = (await invited.json()) as { token: string };
    expect((await api.json('POST', `/api/invitations/${token}/accept`, member)).status).toBe(200);
    const task = await createTask(owner, {
      due_date: '2027-03-27T08:00:00Z',
      recurrence: 'FREQ=DAILY',
      list_id: listId,
    });
    await patchMe(member, { timezone: 'Europe/Berlin' });
    expect(await getTask(owner, task.id)).toEqual(task);
    expect((await toggle(member, task.id)).due_date).toBe('2027-03-28T08:00:00.000Z');
  });
});
