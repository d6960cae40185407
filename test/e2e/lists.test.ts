import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ListJson } from '../../src/lists/list-json.js';
import type { TaskJson } from '../../src/tasks/task-json.js';
import {
  addTask,
  apiFind,
  apiGet,
  focusedName,
  gone,
  listedTitles,
  newUser,
  screenshotDir,
  signUp,
  tabTo,
  webSuite,
} from './browser-harness.js';

// Lists and subtasks in the web app, in headless Chromium against the real server.

const web = webSuite('the browser tests in test/e2e/lists.test.ts');

// The API as the page's signed-in user (the browser context's session cookie).

const apiLists = (page: Page) => apiGet<ListJson[]>(page, '/api/lists');
const apiList = (page: Page, name: string) => apiFind<ListJson>(page, '/api/lists', name);

async function createList(page: Page, name: string): Promise<ListJson> {
  const response = await page.request.post('/api/lists', { data: { name } });
  expect(response.status()).toBe(201);
  return (await response.json()) as ListJson;
}

async function createTask(
  page: Page,
  data: { title: string; list_id?: number; parent_id?: number },
): Promise<TaskJson> {
  const response = await page.request.post('/api/tasks', { data });
  expect(response.status()).toBe(201);
  return (await response.json()) as TaskJson;
}

/** A list's tasks in manual order, as the server has them. */
async function apiListTasks(page: Page, listId: number): Promise<TaskJson[]> {
  const response = await page.request.get(`/api/tasks?list_id=${listId}&sort=position&limit=100`);
  expect(response.status()).toBe(200);
  return (await response.json()) as TaskJson[];
}

async function topLevelTitles(page: Page, listId: number): Promise<string[]> {
  return (await apiListTasks(page, listId)).filter((t) => t.parent_id === null).map((t) => t.title);
}

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Lists' });
/** "2 open": the count beside a list's name. */
const openCount = (page: Page, name: string) =>
  listLink(page, name).locator('.list-count').textContent();
const listLink = (page: Page, name: string) =>
  sidebar(page).getByRole('link', { name: new RegExp(`^${name}\\b`) });
/** One task's row (not its subtasks). */
const row = (page: Page, title: string) =>
  page.locator('.task').filter({ has: page.getByText(title, { exact: true }) });
const moreFor = (page: Page, title: string) =>
  page.getByRole('button', { name: `More actions for “${title}”` });
const announcement = (page: Page) => page.getByRole('status').filter({ hasText: /^Moved|^Added/ });
const moveRequest = (page: Page) =>
  page.waitForResponse((r) => r.url().endsWith('/move') && r.request().method() === 'POST');

/** Titles of the list's top-level tasks, top to bottom. */
const shownTopLevel = (page: Page) =>
  page.locator('ul.task-list.tree > li > .task .task-title').allTextContents();

describe.skipIf(!web.present)('lists in the web app', { timeout: 90_000 }, () => {
  it('creates, renames, recolours and deletes a list; the Inbox can be neither renamed nor deleted', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Lena'));
    // A new account has one list, the Inbox, after "All tasks".
    expect(await sidebar(page).getByRole('link').allTextContents()).toEqual([
      'All tasks0 open',
      'Inbox0 open',
    ]);
    expect(await listLink(page, 'All tasks').getAttribute('aria-current')).toBe('page');

    await listLink(page, 'Inbox').click();
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    const inbox = await apiList(page, 'Inbox');
    expect(new URL(page.url()).search).toBe(`?list=${inbox.id}`);
    expect(await listLink(page, 'Inbox').getAttribute('aria-current')).toBe('page');
    expect(await listLink(page, 'All tasks').getAttribute('aria-current')).toBeNull();
    expect(await page.getByRole('button', { name: /Rename|Delete list/ }).count()).toBe(0);

    await sidebar(page).getByRole('button', { name: 'New list' }).click();
    const form = page.getByRole('form', { name: 'New list' });
    // A name is required: said next to the field, and nothing is sent.
    await form.getByRole('button', { name: 'Create list' }).click();
    await form.getByText('Enter a name.').waitFor();
    await form.getByLabel('List name').fill('  Groceries ');
    await form.getByRole('radio', { name: 'Green' }).check();
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/api/lists') && r.request().method() === 'POST',
    );
    await form.getByRole('button', { name: 'Create list' }).click();
    expect((await created).status()).toBe(201);
    await page.getByRole('heading', { level: 1, name: 'Groceries' }).waitFor();
    const groceries = await apiList(page, 'Groceries');
    expect(groceries).toMatchObject({ color: '#16a34a', inbox: false });
    expect(new URL(page.url()).search).toBe(`?list=${groceries.id}`);
    expect(await listLink(page, 'Groceries').getAttribute('aria-current')).toBe('page');
    // The sidebar's order: Inbox first, then by name.
    await createList(page, 'Books');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Groceries' }).waitFor();
    await listLink(page, 'Books').waitFor();
    expect(await sidebar(page).locator('.list-name').allTextContents()).toEqual([
      'All tasks',
      'Inbox',
      'Books',
      'Groceries',
    ]);

    // Adding a task adds it to the list shown.
    await addTask(page, 'Apples');
    await addTask(page, 'Bread');
    expect(await listedTitles(page, 2)).toEqual(['Apples', 'Bread']);
    expect((await apiListTasks(page, groceries.id)).map((t) => t.title)).toEqual([
      'Apples',
      'Bread',
    ]);
    await expect.poll(() => openCount(page, 'Groceries')).toBe('2 open');
    expect(await apiListTasks(page, inbox.id)).toEqual([]);

    await page.getByRole('button', { name: 'Rename or recolour “Groceries”' }).click();
    const editor = page.getByRole('form', { name: 'Edit list “Groceries”' });
    expect(await editor.getByRole('radio', { name: 'Green' }).isChecked()).toBe(true);
    await editor.getByLabel('List name').fill('Food shopping');
    await editor.getByRole('radio', { name: 'No colour' }).check();
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await editor.getByRole('button', { name: 'Save' }).click();
    expect((await saved).status()).toBe(200);
    await page.getByRole('heading', { level: 1, name: 'Food shopping' }).waitFor();
    await listLink(page, 'Food shopping').waitFor();
    expect(await apiList(page, 'Food shopping')).toMatchObject({ id: groceries.id, color: null });
    expect(await focusedName(page)).toBe('Rename or recolour “Food shopping”');

    await page.getByRole('button', { name: 'Delete list “Food shopping”' }).click();
    // The confirmation says how many tasks go with the list; Cancel keeps everything.
    await page.getByText('Delete “Food shopping” and its 2 tasks?').waitFor();
    expect(await focusedName(page)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Delete list “Food shopping”' }).click();
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page.getByRole('button', { name: 'Yes, delete the list' }).click();
    expect((await deleted).status()).toBe(204);
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    expect(new URL(page.url()).search).toBe(`?list=${inbox.id}`);
    await gone(listLink(page, 'Food shopping'));
    expect((await apiLists(page)).map((l) => l.name)).toEqual(['Inbox', 'Books']);
    const remaining = await page.request.get('/api/tasks?limit=100');
    expect(await remaining.json()).toEqual([]);

    // Back and reload follow the address.
    await listLink(page, 'Books').click();
    await page.getByRole('heading', { level: 1, name: 'Books' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    await listLink(page, 'All tasks').click();
    await page.getByRole('heading', { level: 1, name: 'Lena’s tasks' }).waitFor();
  });

  it('adds subtasks, counts the completed ones, collapses them, and stops at five levels', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Omar'));
    const trip = await createList(page, 'Trip');
    await page.goto(`/?list=${trip.id}`);
    await addTask(page, 'Plan the trip');

    await moreFor(page, 'Plan the trip').click();
    await row(page, 'Plan the trip').getByRole('button', { name: 'Add subtask' }).click();
    const subtaskForm = page.getByRole('form', { name: 'Add a subtask to “Plan the trip”' });
    expect(await focusedName(page)).toBe('Subtask');
    const added = page.waitForResponse(
      (r) => r.url().endsWith('/api/tasks') && r.request().method() === 'POST',
    );
    await page.keyboard.type('Book flights');
    await page.keyboard.press('Enter');
    const subtask = (await (await added).json()) as TaskJson;
    const parent = (await apiListTasks(page, trip.id)).find((t) => t.title === 'Plan the trip');
    expect(subtask).toMatchObject({ parent_id: parent?.id, list_id: trip.id });
    await row(page, 'Book flights').waitFor();
    await row(page, 'Plan the trip').getByText('0/1').waitFor();
    await announcement(page).getByText('Added “Book flights” under “Plan the trip”.').waitFor();
    await subtaskForm.getByRole('button', { name: 'Done' }).click();
    await gone(subtaskForm);
    expect(await focusedName(page)).toBe('More actions for “Plan the trip”');
    // Indented: the subtask's row starts right of its parent's.
    const parentBox = await row(page, 'Plan the trip').boundingBox();
    const childBox = await row(page, 'Book flights').boundingBox();
    expect(childBox?.x).toBeGreaterThan((parentBox?.x ?? 0) + 10);

    const toggled = page.waitForResponse((r) => r.url().endsWith('/complete'));
    await page.getByRole('checkbox', { name: 'Completed: Book flights' }).click();
    expect((await toggled).status()).toBe(200);
    await row(page, 'Plan the trip').getByText('1/1').waitFor();
    expect(await row(page, 'Plan the trip').getByText('1 of 1 subtasks done').count()).toBe(1);

    const expander = page.getByRole('button', { name: 'Subtasks of “Plan the trip”' });
    expect(await expander.getAttribute('aria-expanded')).toBe('true');
    await expander.click();
    expect(await expander.getAttribute('aria-expanded')).toBe('false');
    expect(await row(page, 'Book flights').isVisible()).toBe(false);
    await expander.click();
    await row(page, 'Book flights').waitFor();

    // Five levels in all: the fifth offers no "Add subtask".
    let parentId = subtask.id;
    for (const title of ['Level 3', 'Level 4', 'Level 5']) {
      parentId = (await createTask(page, { title, parent_id: parentId })).id;
    }
    await page.reload();
    await row(page, 'Level 5').waitFor();
    await moreFor(page, 'Level 4').click();
    await row(page, 'Level 4').getByRole('button', { name: 'Add subtask' }).waitFor();
    await moreFor(page, 'Level 5').click();
    await row(page, 'Level 5').getByRole('button', { name: 'Move up' }).waitFor();
    expect(await row(page, 'Level 5').getByRole('button', { name: 'Add subtask' }).count()).toBe(0);
  });

  it('reorders by keyboard and by drag, and moves a task with its subtasks to another list both ways', async () => {
    const page = await web.open();
    await signUp(page, web.stack.baseUrl, newUser('Ines'));
    const work = await createList(page, 'Work');
    const home = await createList(page, 'Home');
    for (const title of ['One', 'Two', 'Three'])
      await createTask(page, { title, list_id: work.id });
    const three = (await apiListTasks(page, work.id)).find((t) => t.title === 'Three');
    await createTask(page, { title: 'Part of three', parent_id: three?.id });
    await page.goto(`/?list=${work.id}`);
    expect(await listedTitles(page, 4)).toEqual(['One', 'Two', 'Three', 'Part of three']);

    // By keyboard: the "More" button, then Move up; focus stays on Move up.
    await tabTo(page, 'More actions for “Three”');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await tabTo(page, 'Move up');
    let moved = moveRequest(page);
    await page.keyboard.press('Enter');
    expect((await moved).request().postDataJSON()).toEqual({ before_id: expect.any(Number) });
    expect((await moved).status()).toBe(200);
    await announcement(page).getByText('Moved “Three” up, 2 of 3.').waitFor();
    expect(await shownTopLevel(page)).toEqual(['One', 'Three', 'Two']);
    expect(await focusedName(page)).toBe('Move up');
    moved = moveRequest(page);
    await page.keyboard.press('Enter');
    expect((await moved).status()).toBe(200);
    await expect.poll(() => shownTopLevel(page)).toEqual(['Three', 'One', 'Two']);
    await announcement(page).getByText('Moved “Three” up, 1 of 3.').waitFor();
    // First now: Move up says it cannot, and keeps focus.
    expect(await page.getByRole('button', { name: 'Move up' }).getAttribute('aria-disabled')).toBe(
      'true',
    );
    expect(await focusedName(page)).toBe('Move up');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Move down');
    moved = moveRequest(page);
    await page.keyboard.press('Enter');
    expect((await moved).status()).toBe(200);
    await expect.poll(() => shownTopLevel(page)).toEqual(['One', 'Three', 'Two']);
    expect(await focusedName(page)).toBe('Move down');
    await page.waitForLoadState('networkidle');
    expect(await topLevelTitles(page, work.id)).toEqual(['One', 'Three', 'Two']);
    // The subtask went along with its parent.
    expect(await listedTitles(page, 4)).toEqual(['One', 'Three', 'Part of three', 'Two']);
    await page.keyboard.press('Escape');
    expect(await focusedName(page)).toBe('More actions for “Three”');

    // A move the server refuses is undone, and the page says why.
    await page.route('**/api/tasks/*/move', (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: '/problems/task_not_found',
          title: 'Not Found',
          status: 404,
          detail: 'No such task.',
          code: 'task_not_found',
          request_id: 'test',
        }),
      }),
    );
    await moreFor(page, 'Two').click();
    await row(page, 'Two').getByRole('button', { name: 'Move up' }).click();
    await page
      .getByRole('alert')
      .getByText('Could not move “Two”. No such task. It is back where it was.')
      .waitFor();
    expect(await shownTopLevel(page)).toEqual(['One', 'Three', 'Two']);
    await page.unrouteAll();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await moreFor(page, 'Two').click();

    // By drag: Two's handle onto the top half of One's row.
    moved = moveRequest(page);
    await row(page, 'Two')
      .locator('.drag-handle')
      .dragTo(row(page, 'One'), { targetPosition: { x: 80, y: 6 } });
    expect((await moved).status()).toBe(200);
    await announcement(page).getByText('Moved “Two” before “One”.').waitFor();
    expect(await shownTopLevel(page)).toEqual(['Two', 'One', 'Three']);
    await page.waitForLoadState('networkidle');
    expect(await topLevelTitles(page, work.id)).toEqual(['Two', 'One', 'Three']);
    // A subtask is not a drop target for a top-level task: the drag reorders siblings only.
    let requests = 0;
    const countMoves = (r: { url(): string }) => {
      if (r.url().endsWith('/move')) requests++;
    };
    page.on('request', countMoves);
    await row(page, 'One')
      .locator('.drag-handle')
      .dragTo(row(page, 'Part of three'), { targetPosition: { x: 80, y: 6 } });
    await page.waitForLoadState('networkidle');
    expect(requests).toBe(0);
    page.off('request', countMoves);

    // To another list by keyboard: the whole subtree goes.
    await moreFor(page, 'Three').click();
    await row(page, 'Three').getByLabel('Move to list…').selectOption({ label: 'Home' });
    moved = moveRequest(page);
    await row(page, 'Three').getByRole('button', { name: 'Move', exact: true }).click();
    expect((await moved).request().postDataJSON()).toEqual({ list_id: home.id });
    expect((await moved).status()).toBe(200);
    await announcement(page).getByText('Moved “Three” to Home.').waitFor();
    expect(await listedTitles(page, 2)).toEqual(['Two', 'One']);
    await expect.poll(() => openCount(page, 'Home')).toBe('2 open');
    expect((await apiListTasks(page, home.id)).map((t) => t.title)).toEqual([
      'Three',
      'Part of three',
    ]);

    // To another list by drag: onto its name in the sidebar.
    moved = moveRequest(page);
    await row(page, 'One').locator('.drag-handle').dragTo(listLink(page, 'Home'));
    expect((await moved).request().postDataJSON()).toEqual({ list_id: home.id });
    expect((await moved).status()).toBe(200);
    await announcement(page).getByText('Moved “One” to Home.').waitFor();
    expect(await listedTitles(page, 1)).toEqual(['Two']);
    await listLink(page, 'Home').click();
    expect(await listedTitles(page, 3)).toEqual(['Three', 'Part of three', 'One']);

    // All tasks says which list each task is in.
    await listLink(page, 'All tasks').click();
    await page.getByRole('heading', { level: 1, name: 'Ines’s tasks' }).waitFor();
    expect(await row(page, 'Two').locator('.list-badge').textContent()).toBe('In list Work');
    expect(await row(page, 'Part of three').locator('.list-badge').textContent()).toBe(
      'In list Home',
    );
  });

  it('opens the lists from a menu button on a phone', async () => {
    const phone = await web.open({ width: 375, height: 812 });
    await signUp(phone, web.stack.baseUrl, newUser('Pia'));
    await createList(phone, 'Errands');
    await phone.reload();
    const menu = phone.getByRole('button', { name: 'Lists', exact: true });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    // Closed, the lists are not on the page at all.
    expect(await sidebar(phone).count()).toBe(0);

    await menu.click();
    const drawer = phone.getByRole('dialog', { name: 'Lists' });
    await drawer.waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await phone.keyboard.press('Escape');
    await gone(sidebar(phone));
    expect(await focusedName(phone)).toBe('Lists');

    await menu.click();
    await listLink(phone, 'Errands').click();
    await phone.getByRole('heading', { level: 1, name: 'Errands' }).waitFor();
    await gone(sidebar(phone));
    expect(await focusedName(phone)).toBe('Lists');

    // A list made from the drawer opens at once.
    await menu.click();
    await sidebar(phone).getByRole('button', { name: 'New list' }).click();
    await phone.getByLabel('List name').fill('Garden');
    await phone.getByRole('button', { name: 'Create list' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Garden' }).waitFor();
    await gone(sidebar(phone));
    expect(
      await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
      'no horizontal scrolling at 375 px',
    ).toBe(true);
  });

  it('looks right with subtasks at 375 px and 1280 px', async () => {
    const desktop = await web.open();
    await signUp(desktop, web.stack.baseUrl, newUser('Ravi'));
    const house = await createList(desktop, 'House move');
    await desktop.request.patch(`/api/lists/${house.id}`, { data: { color: '#2563eb' } });
    await createList(desktop, 'Reading');
    const pack = await createTask(desktop, { title: 'Pack the kitchen', list_id: house.id });
    const boxes = await createTask(desktop, { title: 'Buy boxes and tape', parent_id: pack.id });
    await desktop.request.patch(`/api/tasks/${boxes.id}/complete`);
    const wrap = await createTask(desktop, { title: 'Wrap the glasses', parent_id: pack.id });
    await createTask(desktop, { title: 'Newspaper from the neighbours', parent_id: wrap.id });
    await createTask(desktop, { title: 'Label every box', parent_id: pack.id });
    const utilities = await createTask(desktop, {
      title: 'Switch the utilities to the new address',
      list_id: house.id,
    });
    await desktop.request.patch(`/api/tasks/${utilities.id}`, {
      data: { priority: 'high', due_date: '2099-03-01', tags: ['admin'] },
    });
    await createTask(desktop, { title: 'Book the van', list_id: house.id });

    await desktop.goto(`/?list=${house.id}`);
    expect(await listedTitles(desktop, 7)).toHaveLength(7);
    await moreFor(desktop, 'Wrap the glasses').click();
    await desktop.waitForLoadState('networkidle');
    await desktop.screenshot({ path: join(screenshotDir, 'lists-1280.png'), fullPage: true });

    const phone = await web.open({ width: 375, height: 812 });
    const cookies = await desktop.context().cookies();
    await phone.context().addCookies(cookies);
    await phone.goto(`/?list=${house.id}`);
    expect(await listedTitles(phone, 7)).toHaveLength(7);
    await moreFor(phone, 'Wrap the glasses').click();
    await phone.waitForLoadState('networkidle');
    expect(
      await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
      'no horizontal scrolling at 375 px',
    ).toBe(true);
    await phone.screenshot({ path: join(screenshotDir, 'lists-375.png'), fullPage: true });
    await phone.getByRole('button', { name: 'Lists', exact: true }).click();
    await phone.getByRole('dialog', { name: 'Lists' }).waitFor();
    await phone.screenshot({ path: join(screenshotDir, 'lists-375-drawer.png') });

    const dark = await web.open({ dark: true });
    await dark.context().addCookies(cookies);
    await dark.goto(`/?list=${house.id}`);
    expect(await listedTitles(dark, 7)).toHaveLength(7);
    await dark.getByRole('button', { name: 'Delete list “House move”' }).click();
    await dark.waitForLoadState('networkidle');
    await dark.screenshot({ path: join(screenshotDir, 'lists-1280-dark.png'), fullPage: true });
  });
});
