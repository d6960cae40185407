import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { TaskJson } from '../../src/tasks/task-json.js';
import {
  addForm,
  addTask,
  apiFind,
  apiGet,
  filters,
  focusedName,
  gone,
  listedTitles,
  newUser,
  screenshotDir,
  signUp,
  tabTo,
  taskItem,
  taskItems,
  webSuite,
} from './browser-harness.js';

// The web app in headless Chromium against the real server and database.

const web = webSuite('the browser tests in test/e2e/web.test.ts');

/** The API as the page's signed-in user (the browser context's session cookie). */
const apiTasks = (page: Page) => apiGet<TaskJson[]>(page, '/api/tasks?limit=100');
const apiTask = (page: Page, title: string) =>
  apiFind<TaskJson>(page, '/api/tasks?limit=100', title);

/** Clicks one of All / Open / Completed. */
const showOnly = (page: Page, which: string) =>
  filters(page).getByRole('group', { name: 'Show' }).getByText(which, { exact: true }).click();

const checkbox = (page: Page, title: string) =>
  page.getByRole('checkbox', { name: `Completed: ${title}` });

describe.skipIf(!web.present)('web app', { timeout: 60_000 }, () => {
  it('signs up, adds three tasks that survive a reload, then toggles, filters, edits and deletes', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Ada'));
    await page.getByText('No tasks yet.').waitFor();
    // A title is required: said next to the field, and nothing is sent.
    await addForm(page).getByRole('button', { name: 'Add task' }).click();
    await addForm(page).getByText('Enter a title.').waitFor();
    expect(await addForm(page).getByLabel('New task').getAttribute('aria-invalid')).toBe('true');

    await addTask(page, 'Buy milk', { priority: 'High', tags: 'Home, errands' });
    await addTask(page, 'Write report', { description: 'Numbers first', due: '2020-01-15' });
    await addTask(page, 'Call mom');
    // The add form is empty again, ready for the next one.
    await expect.poll(() => addForm(page).getByLabel('New task').inputValue()).toBe('');

    await page.reload();
    expect(await listedTitles(page, 3)).toEqual(['Call mom', 'Write report', 'Buy milk']);
    const milk = taskItem(page, 'Buy milk');
    expect(await milk.getByText('High priority').count()).toBe(1);
    expect(await milk.getByText('#home').count()).toBe(1);
    expect(await milk.getByText('#errands').count()).toBe(1);
    // Overdue: due in the past and not completed, said in words, not only in colour.
    const report = taskItem(page, 'Write report');
    await report.getByText('Overdue · due').waitFor();
    expect(await report.getAttribute('class')).toContain('overdue');
    await page.getByText('1 overdue').waitFor();

    const toggled = page.waitForResponse((r) => r.url().endsWith('/complete'));
    // click, not check(): the box shows the change once the cache has it, a moment later.
    await checkbox(page, 'Buy milk').click();
    expect((await toggled).status()).toBe(200);
    await expect.poll(() => checkbox(page, 'Buy milk').isChecked()).toBe(true);
    await page.getByText('1 done').waitFor();

    await showOnly(page, 'Completed');
    await page.getByRole('heading', { name: 'Completed' }).waitFor();
    expect(await listedTitles(page, 1)).toEqual(['Buy milk']);
    expect(page.url()).toContain('show=completed');
    await showOnly(page, 'Open');
    expect(await listedTitles(page, 2)).toEqual(['Call mom', 'Write report']);
    await showOnly(page, 'All');
    await listedTitles(page, 3);

    await page.getByRole('button', { name: 'Edit “Write report”' }).click();
    const editor = page.getByRole('form', { name: 'Edit “Write report”' });
    await editor.getByLabel('Title').fill('Write the quarterly report');
    await editor.getByLabel('Status').selectOption({ label: 'In progress' });
    await editor.getByLabel('Tags').fill('work');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await editor.getByRole('button', { name: 'Save' }).click();
    expect((await saved).status()).toBe(200);
    const edited = taskItem(page, 'Write the quarterly report');
    await edited.getByText('In progress').waitFor();
    await edited.getByText('#work').waitFor();
    await edited.getByText('Numbers first').waitFor();

    await page.getByRole('button', { name: 'Delete “Call mom”' }).click();
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    expect((await deleted).status()).toBe(204);
    await gone(taskItem(page, 'Call mom'));

    await page.reload();
    expect(await listedTitles(page, 2)).toEqual(['Write the quarterly report', 'Buy milk']);
    const stored = await apiTask(page, 'Write the quarterly report');
    expect(stored).toMatchObject({
      status: 'in_progress',
      tags: ['work'],
      description: 'Numbers first',
    });
  });

  it('never shows one user the tasks of another (two browser contexts)', async () => {
    const alice = await web.open();
    const bob = await web.open();
    await signUp(alice, web.stack.baseUrl, newUser('Alice'));
    await signUp(bob, web.stack.baseUrl, newUser('Bob'));
    await addTask(alice, 'Alice secret plan');
    await addTask(bob, 'Bob private note');
    await addTask(alice, 'Alice second task');

    await Promise.all([alice.reload(), bob.reload()]);
    expect(await listedTitles(alice, 2)).toEqual(['Alice second task', 'Alice secret plan']);
    expect(await listedTitles(bob, 1)).toEqual(['Bob private note']);
    await bob.getByLabel('Search').fill('Alice');
    await bob.getByText('No tasks match these filters.').waitFor();

    // Nor by asking for it directly.
    const aliceTask = await apiTask(alice, 'Alice secret plan');
    expect((await bob.request.get(`/api/tasks/${aliceTask.id}`)).status()).toBe(404);
  });

  it('rolls back a change the server refuses (412) and shows the server’s state', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Grace'));
    await addTask(page, 'Original title');
    const task = await apiTask(page, 'Original title');

    // Another tab renames the task: the version this page holds is now stale.
    const behind = await page.request.patch(`/api/tasks/${task.id}`, {
      data: { title: 'Renamed elsewhere' },
    });
    expect(behind.status()).toBe(200);

    const refused = page.waitForResponse((r) => r.url().endsWith('/complete'));
    await checkbox(page, 'Original title').click();
    const response = await refused;
    expect(response.status()).toBe(412);
    expect(response.request().headers()['if-match']).toBe(`"${task.version}"`);
    const alert = page.getByRole('alert');
    await alert.getByText('This task was changed elsewhere; reloaded.').waitFor();
    // The page now shows the server's task, and the toggle was undone.
    await taskItem(page, 'Renamed elsewhere').waitFor();
    expect(await checkbox(page, 'Renamed elsewhere').isChecked()).toBe(false);
    expect(await apiTask(page, 'Renamed elsewhere')).toMatchObject({ completed: false });
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await gone(alert);
    await page.waitForLoadState('networkidle');

    // The same for an edit…
    await page.request.patch(`/api/tasks/${task.id}`, { data: { priority: 'high' } });
    await page.getByRole('button', { name: 'Edit “Renamed elsewhere”' }).click();
    const editor = page.getByRole('form', { name: 'Edit “Renamed elsewhere”' });
    await editor.getByLabel('Title').fill('My edit');
    const refusedEdit = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await editor.getByRole('button', { name: 'Save' }).click();
    expect((await refusedEdit).status()).toBe(412);
    await alert.getByText('This task was changed elsewhere; reloaded.').waitFor();
    await taskItem(page, 'Renamed elsewhere').getByText('High priority').waitFor();
    expect(await taskItem(page, 'My edit').count()).toBe(0);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await gone(alert);
    await page.waitForLoadState('networkidle');

    // …and a delete: the task comes back.
    await page.request.patch(`/api/tasks/${task.id}`, { data: { description: 'changed' } });
    await page.getByRole('button', { name: 'Delete “Renamed elsewhere”' }).click();
    const refusedDelete = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    expect((await refusedDelete).status()).toBe(412);
    await alert.getByText('This task was changed elsewhere; reloaded.').waitFor();
    await taskItem(page, 'Renamed elsewhere').getByText('changed', { exact: true }).waitFor();
    expect((await apiTasks(page)).map((t) => t.title)).toEqual(['Renamed elsewhere']);
  });

  it('adds, edits and completes a task with the keyboard alone', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Kay'));

    await tabTo(page, 'New task');
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Enter');
    await taskItem(page, 'Typed without a mouse').waitFor();
    // Focus stays in the title field for the next task.
    expect(await focusedName(page)).toBe('New task');

    await tabTo(page, 'Edit “Typed without a mouse”');
    await page.keyboard.press('Enter');
    expect(await focusedName(page)).toBe('Title');
    await page.keyboard.type('Not saved');
    await page.keyboard.press('Escape');
    // Escape cancels, and focus goes back to the Edit button.
    await page.getByRole('form', { name: 'Edit “Typed without a mouse”' }).waitFor({
      state: 'detached',
    });
    expect(await focusedName(page)).toBe('Edit “Typed without a mouse”');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Edited by keyboard');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.keyboard.press('Enter');
    expect((await saved).status()).toBe(200);
    await taskItem(page, 'Edited by keyboard').waitFor();

    await tabTo(page, 'Completed: Edited by keyboard');
    const toggled = page.waitForResponse((r) => r.url().endsWith('/complete'));
    await page.keyboard.press('Space');
    expect((await toggled).status()).toBe(200);
    expect(await checkbox(page, 'Edited by keyboard').isChecked()).toBe(true);
    expect(await apiTask(page, 'Edited by keyboard')).toMatchObject({ completed: true });

    // Focus is visible: the focused control draws an outline.
    const outline = await page.evaluate(
      'getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth',
    );
    expect(outline).toBe('solid 3px');
  });

  it('searches after a pause in typing, sorts, and loads more pages', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Lin'));
    for (let i = 1; i <= 24; i++) {
      const title = `Task ${String(i).padStart(2, '0')}`;
      expect((await page.request.post('/api/tasks', { data: { title } })).status()).toBe(201);
    }
    await page.request.post('/api/tasks', {
      data: { title: 'Needle in a haystack', tags: ['rare'] },
    });
    await page.reload();
    expect(await listedTitles(page, 20)).toHaveLength(20);
    await page.getByRole('button', { name: 'Load more' }).click();
    const all = await listedTitles(page, 25);
    expect(new Set(all).size).toBe(25);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await filters(page).getByLabel('Sort by').selectOption({ label: 'Title' });
    await expect.poll(async () => (await listedTitles(page))[0]).toBe('Needle in a haystack');
    expect(await filters(page).getByLabel('Order').inputValue()).toBe('asc');

    const searches: string[] = [];
    page.on('request', (r) => {
      const q = new URL(r.url()).searchParams.get('q');
      if (r.url().includes('/api/tasks?') && q !== null) searches.push(q);
    });
    await filters(page).getByLabel('Search').pressSequentially('needle', { delay: 40 });
    expect(await listedTitles(page, 1)).toEqual(['Needle in a haystack']);
    // One request for the whole word, not one per key.
    expect(searches).toEqual(['needle']);

    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await listedTitles(page, 20);
    await filters(page).getByLabel('Tag').fill('rare');
    expect(await listedTitles(page, 1)).toEqual(['Needle in a haystack']);
  });

  it('sends an expired session to sign-in and back to the same view afterwards', async () => {
    const page = await web.open();
    const user = newUser('Sam');
    await signUp(page, web.stack.baseUrl, user);
    await addTask(page, 'Still here after signing in again');
    await showOnly(page, 'Open');
    await page.getByRole('heading', { name: 'Open tasks' }).waitFor();

    await web.stack.database.db.query('DELETE FROM sessions');
    await checkbox(page, 'Still here after signing in again').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Your session has ended').waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/?show=open');

    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Open tasks' }).waitFor();
    expect(new URL(page.url()).search).toBe('?show=open');
    expect(await listedTitles(page, 1)).toEqual(['Still here after signing in again']);
  });

  it('shows the server’s messages on sign-up and sign-in, and signs out', async () => {
    const page = await web.open();
    const user = newUser('Max');
    await signUp(page, web.stack.baseUrl, user);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('wrong-password-entirely');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Invalid email or password.').waitFor();

    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Max Again');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page
      .getByRole('alert')
      .getByText('Password too short: use at least 12 characters.')
      .waitFor();
    await page.getByLabel('Password').fill('password1234');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page
      .getByRole('alert')
      .getByText(/too common/)
      .waitFor();
    // A taken email: sign-up does not say so; the sign-in after it fails, neutrally.
    await page.getByLabel('Password').fill('long-enough-password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page
      .getByRole('alert')
      .getByText(/If you already have an account with this email, sign in/)
      .waitFor();
  });

  it('shows loading, error and empty states', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Eve'));
    await page.getByText('No tasks yet.').waitFor();
    await addTask(page, 'Survives an outage');

    // Loading: the list request is held until we let it go.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/tasks?*', async (route) => {
      await held;
      await route.continue();
    });
    await page.reload();
    await page.getByRole('status').getByText('Loading your tasks…').waitFor();
    release();
    await listedTitles(page, 1);
    await page.unrouteAll();

    // Error: the API is down; the message is an alert and "Try again" recovers.
    await page.route('**/api/tasks?*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: '/problems/database_unavailable',
          title: 'Service unavailable',
          status: 503,
          detail: 'The database is unavailable; try again shortly.',
          code: 'database_unavailable',
          request_id: 'test',
        }),
      }),
    );
    await page.reload();
    const failure = page.getByRole('alert').filter({ hasText: 'Could not load your tasks.' });
    await failure.getByText('The database is unavailable; try again shortly.').waitFor();
    await page.unrouteAll();
    await failure.getByRole('button', { name: 'Try again' }).click();
    expect(await listedTitles(page, 1)).toEqual(['Survives an outage']);

    // Empty because of a filter: says so, and offers to clear it.
    await filters(page).getByLabel('Search').fill('nothing like this');
    await page.getByText('No tasks match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).last().click();
    expect(await listedTitles(page, 1)).toEqual(['Survives an outage']);
    expect(await filters(page).getByLabel('Search').inputValue()).toBe('');
  });

  it('runs two quick toggles of one task one after the other, each with the newest version', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Quinn'));
    await addTask(page, 'Toggle me twice');
    const versions: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/complete')) versions.push(r.headers()['if-match']);
    });
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/complete')) statuses.push(r.status());
    });
    await checkbox(page, 'Toggle me twice').click();
    await checkbox(page, 'Toggle me twice').click();
    await expect.poll(() => statuses.length).toBe(2);
    expect(statuses).toEqual([200, 200]);
    expect(versions).toEqual(['"1"', '"2"']);
    await page.waitForLoadState('networkidle');
    expect(await checkbox(page, 'Toggle me twice').isChecked()).toBe(false);
    expect(await apiTask(page, 'Toggle me twice')).toMatchObject({ completed: false, version: 3 });
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('takes the next task as soon as one is stored, while the lists are still refreshing', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Rosa'));
    await page.getByText('No tasks yet.').waitFor();
    // The refresh after a create (the task pages, the lists and their counts) is slow.
    await page.route('**/api/{tasks,lists}?*', async (route) => {
      if (route.request().method() === 'GET') await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.route('**/api/lists', async (route) => {
      if (route.request().method() === 'GET') await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    const posted: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/tasks') && r.method() === 'POST') {
        posted.push((r.postDataJSON() as { title: string }).title);
      }
    });
    const form = addForm(page);
    await form.getByLabel('New task').fill('First');
    await form.getByRole('button', { name: 'Add task' }).click();
    await expect.poll(() => form.getByLabel('New task').inputValue()).toBe('');
    await form.getByLabel('New task').fill('Second');
    await form.getByRole('button', { name: 'Add task' }).click();
    await expect.poll(() => posted).toEqual(['First', 'Second']);
    await taskItem(page, 'Second').waitFor();
    await taskItem(page, 'First').waitFor();
    expect(await form.getByLabel('New task').inputValue()).toBe('');
  });

  it('looks right on a 375 px phone and a 1280 px desktop, light and dark', async () => {
    const phone = await web.open({ width: 375, height: 812 });
    await phone.goto(`${web.stack.baseUrl}/sign-in`);
    await phone.getByRole('heading', { name: 'Sign in' }).waitFor();
    await phone.screenshot({ path: join(screenshotDir, 'web-sign-in-375.png'), fullPage: true });

    await signUp(phone, web.stack.baseUrl, newUser('Noor'));
    await phone.getByText('No tasks yet.').waitFor();
    await phone.screenshot({ path: join(screenshotDir, 'web-375-empty.png'), fullPage: true });
    const seed = [
      { title: 'Renew passport', priority: 'high', due_date: '2021-03-01', tags: ['admin'] },
      {
        title: 'Plan the team offsite',
        description: 'Venue, budget and agenda. Ask Priya about dates.',
        status: 'in_progress',
        priority: 'medium',
        tags: ['work', 'planning'],
        due_date: '2099-06-30',
      },
      { title: 'Water the plants', completed: true, tags: ['home'] },
      { title: 'Read “The Pragmatic Programmer”', priority: 'low' },
    ];
    for (const data of seed) {
      expect((await phone.request.post('/api/tasks', { data })).status()).toBe(201);
    }
    await phone.reload();
    await listedTitles(phone, 4);
    expect(
      await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
      'no horizontal scrolling at 375 px',
    ).toBe(true);
    await phone.screenshot({ path: join(screenshotDir, 'web-375.png'), fullPage: true });

    const cookies = await phone.context().cookies();
    for (const dark of [false, true]) {
      const desktop = await web.open({ width: 1280, height: 900, dark });
      await desktop.context().addCookies(cookies);
      await desktop.goto(`${web.stack.baseUrl}/`);
      await listedTitles(desktop, 4);
      await desktop.getByRole('button', { name: 'Edit “Read “The Pragmatic Programmer””' }).click();
      const name = dark ? 'web-1280-dark.png' : 'web-1280.png';
      await desktop.screenshot({ path: join(screenshotDir, name), fullPage: true });
    }

    // The confirmation and a rollback message, at phone size.
    const passport = await apiTask(phone, 'Renew passport');
    await phone.request.patch(`/api/tasks/${passport.id}`, { data: { priority: 'low' } });
    await checkbox(phone, 'Renew passport').click();
    await phone
      .getByRole('alert')
      .getByText('This task was changed elsewhere; reloaded.')
      .waitFor();
    await phone.getByRole('button', { name: 'Delete “Water the plants”' }).click();
    await phone.getByRole('button', { name: 'Yes, delete' }).waitFor();
    await phone.waitForLoadState('networkidle');
    await phone.screenshot({ path: join(screenshotDir, 'web-375-states.png'), fullPage: true });
    expect(await taskItems(phone).count()).toBe(4);
  });
});
