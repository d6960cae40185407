import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ListJson } from '../../src/lists/list-json.js';
import type { CreatedInvitationJson } from '../../src/sharing/schemas.js';
import {
  addForm,
  addTask,
  type BrowserUser,
  createAccountFromSignIn,
  gone,
  newUser,
  screenshotDir,
  signUp,
  taskItem,
  webSuite,
} from './browser-harness.js';

// Shared lists in the web app: two people, each in their own browser context, in headless
// Chromium against the real server.

const web = webSuite('the browser tests in test/e2e/sharing.test.ts');

async function createList(page: Page, name: string): Promise<ListJson> {
  const response = await page.request.post('/api/lists', { data: { name } });
  expect(response.status()).toBe(201);
  return (await response.json()) as ListJson;
}

async function createInvitation(
  page: Page,
  listId: number,
  role: 'viewer' | 'editor' | 'admin',
): Promise<CreatedInvitationJson> {
  const response = await page.request.post(`/api/lists/${listId}/invitations`, { data: { role } });
  expect(response.status()).toBe(201);
  return (await response.json()) as CreatedInvitationJson;
}

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Lists' });
const listLink = (page: Page, name: string) =>
  sidebar(page).getByRole('link', { name: new RegExp(`^${name}\\b`) });
const shareDialog = (page: Page, name: string) =>
  page.getByRole('dialog', { name: `Share “${name}”` });
const focusedTag = (page: Page) =>
  page.evaluate<string | undefined>('document.activeElement?.tagName');
const noHorizontalScroll = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');

/** From an invitation link, signed out: sign-in says why, then "Create an account". */
async function signUpFromInvitation(page: Page, url: string, user: BrowserUser): Promise<void> {
  await page.goto(url);
  await page.getByText('You are invited to a shared list.').waitFor();
  await createAccountFromSignIn(page, user);
}

describe.skipIf(!web.present)('shared lists in the web app', { timeout: 120_000 }, () => {
  it('invites an editor by link, who works in the list until the owner removes them', async () => {
    const annUser = newUser('Ann');
    const ann = await web.open();
    await signUp(ann, web.stack.baseUrl, annUser);
    const groceries = await createList(ann, 'Groceries');
    await ann.goto(`/?list=${groceries.id}`);
    await addTask(ann, 'Buy milk');

    // The owner shares: a dialog, named by its title, which takes focus.
    await ann.getByRole('button', { name: 'Share “Groceries”' }).click();
    const dialog = shareDialog(ann, 'Groceries');
    await dialog.waitFor();
    expect(await focusedTag(ann)).toBe('H2');
    const role = dialog.getByLabel('Role', { exact: true });
    // Only the owner may invite an admin.
    expect(await role.locator('option').allTextContents()).toEqual(['Viewer', 'Editor', 'Admin']);
    await role.selectOption('editor');
    const created = ann.waitForResponse(
      (r) => r.url().endsWith('/invitations') && r.request().method() === 'POST',
    );
    await dialog.getByRole('button', { name: 'Create link' }).click();
    expect((await created).status()).toBe(201);
    const invitation = (await (await created).json()) as CreatedInvitationJson;
    expect(invitation.url).toBe(`${web.stack.baseUrl}/invite/${invitation.token}`);
    const link = dialog.getByLabel('Invitation link for an editor');
    expect(await link.inputValue()).toBe(invitation.url);
    await dialog.getByText('This link is shown only once: copy it now.').waitFor();
    await dialog.getByRole('button', { name: 'Copy link' }).click();
    await dialog
      .getByRole('status')
      .filter({ hasText: /Copied|selected/ })
      .waitFor();
    const pending = dialog.getByRole('listitem').filter({ hasText: '0 of 1 used' });
    await pending.getByText('Editor').waitFor();
    await pending.getByRole('button', { name: /^Revoke the editor link/ }).waitFor();
    await ann.waitForLoadState('networkidle');
    await ann.screenshot({ path: join(screenshotDir, 'share-dialog-1280.png') });
    // Escape closes it and gives focus back to the Share button.
    await ann.keyboard.press('Escape');
    await gone(dialog);
    expect(await focusedTag(ann)).toBe('BUTTON');

    // Bo opens the link signed out, makes an account, and lands on the invitation.
    const boUser = newUser('Bo');
    const bo = await web.open();
    await signUpFromInvitation(bo, invitation.url, boUser);
    await bo.getByRole('heading', { name: 'Join “Groceries”' }).waitFor();
    await bo.getByText('Ann invites you to Groceries as an editor.').waitFor();
    await bo.screenshot({ path: join(screenshotDir, 'invite-1280.png') });
    await bo.getByRole('button', { name: 'Accept' }).click();
    await bo.getByRole('heading', { level: 1, name: 'Groceries', exact: true }).waitFor();
    expect(new URL(bo.url()).search).toBe(`?list=${groceries.id}`);
    await sidebar(bo)
      .getByRole('link', { name: /^Groceries Shared with you/ })
      .waitFor();
    // Assigned tasks have a view once a list is shared.
    await sidebar(bo).getByRole('link', { name: 'Assigned to me' }).waitFor();

    // An editor adds tasks and completes them, but neither renames nor deletes the list.
    expect(await bo.getByRole('button', { name: /Rename|Delete list/ }).count()).toBe(0);
    await addTask(bo, 'Buy bread');
    const completed = bo.waitForResponse((r) => r.url().endsWith('/complete'));
    // A click, not check(): the tick shows once the list's refetch after the add is cancelled.
    await bo.getByRole('checkbox', { name: 'Completed: Buy milk' }).click();
    expect((await completed).status()).toBe(200);
    await expect
      .poll(() => bo.getByRole('checkbox', { name: 'Completed: Buy milk' }).isChecked())
      .toBe(true);

    // Ann sees both, and her list is marked as shared.
    await ann.reload();
    await taskItem(ann, 'Buy bread').waitFor();
    expect(await ann.getByRole('checkbox', { name: 'Completed: Buy milk' }).isChecked()).toBe(true);
    await sidebar(ann)
      .getByRole('link', { name: /^Groceries Shared\b/ })
      .waitFor();

    // Ann assigns Bo's task to Bo; Bo finds it under "Assigned to me".
    await ann.getByRole('button', { name: 'Edit “Buy bread”' }).click();
    const editor = ann.getByRole('form', { name: 'Edit “Buy bread”' });
    const assignee = editor.getByLabel('Assigned to');
    expect(await assignee.locator('option').allTextContents()).toEqual(['Nobody', 'Ann', 'Bo']);
    await assignee.selectOption({ label: 'Bo' });
    const saved = ann.waitForResponse((r) => r.request().method() === 'PATCH');
    await editor.getByRole('button', { name: 'Save' }).click();
    expect((await saved).status()).toBe(200);
    await taskItem(ann, 'Buy bread').getByText('Assigned to Bo').waitFor();
    await ann.waitForLoadState('networkidle');
    await ann.screenshot({ path: join(screenshotDir, 'shared-list-1280.png'), fullPage: true });
    await sidebar(bo).getByRole('link', { name: 'Assigned to me' }).click();
    await bo.getByRole('heading', { level: 1, name: 'Assigned to me' }).waitFor();
    await taskItem(bo, 'Buy bread').getByText('Assigned to you').waitFor();
    expect(await taskItem(bo, 'Buy milk').count()).toBe(0);
    await listLink(bo, 'Groceries').click();
    await bo.getByRole('heading', { level: 1, name: 'Groceries', exact: true }).waitFor();

    // Ann removes Bo in the Share dialog (after a confirmation).
    await ann.getByRole('button', { name: 'Share “Groceries”' }).click();
    await dialog.waitFor();
    const boRow = dialog.getByRole('listitem').filter({ hasText: 'Bo' });
    expect(await boRow.getByLabel('Role of Bo').inputValue()).toBe('editor');
    await boRow.getByRole('button', { name: 'Remove Bo' }).click();
    const removed = ann.waitForResponse((r) => r.request().method() === 'DELETE');
    await boRow.getByRole('button', { name: 'Yes, remove' }).click();
    expect((await removed).status()).toBe(204);
    await gone(boRow);
    await ann.keyboard.press('Escape');
    await gone(dialog);

    // Bo's next change is refused, with the reason on the page; the list is gone for Bo.
    await addForm(bo).getByLabel('New task').fill('Buy eggs');
    await addForm(bo).getByRole('button', { name: 'Add task' }).click();
    await bo
      .getByRole('alert')
      .getByText('Could not add “Buy eggs”. This list is gone, or you no longer have access to it.')
      .waitFor();
    await bo.getByRole('heading', { level: 1, name: 'This list is not available' }).waitFor();
    await bo.screenshot({ path: join(screenshotDir, 'shared-list-removed-1280.png') });
    expect(await bo.getByRole('button', { name: 'Share “Groceries”' }).count()).toBe(0);
    await bo.reload();
    await bo.getByRole('heading', { level: 1, name: 'This list is not available' }).waitFor();
    await sidebar(bo)
      .getByRole('link', { name: /^Inbox/ })
      .waitFor();
    expect(await listLink(bo, 'Groceries').count()).toBe(0);
  });

  it('shows a list read-only to a viewer, who can leave it; a used link says it no longer works', async () => {
    const owner = await web.open();
    await signUp(owner, web.stack.baseUrl, newUser('Cleo'));
    const recipes = await createList(owner, 'Recipes');
    const created = await owner.request.post('/api/tasks', {
      data: { title: 'Try the lentil soup', list_id: recipes.id },
    });
    expect(created.status()).toBe(201);
    const invitation = await createInvitation(owner, recipes.id, 'viewer');

    const phone = await web.open({ width: 375, height: 812 });
    await signUp(phone, web.stack.baseUrl, newUser('Vic'));
    await phone.goto(invitation.url);
    await phone.getByText('Cleo invites you to Recipes as a viewer.').waitFor();
    expect(await noHorizontalScroll(phone), 'no horizontal scrolling at 375 px').toBe(true);
    await phone.screenshot({ path: join(screenshotDir, 'invite-375.png'), fullPage: true });
    await phone.getByRole('button', { name: 'Accept' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Recipes', exact: true }).waitFor();

    // Nothing to change: no add form, no checkbox to tick, no edit, delete or move; a note says why.
    await taskItem(phone, 'Try the lentil soup').waitFor();
    await phone.getByText('You can view this list, but not change it').waitFor();
    expect(await addForm(phone).count()).toBe(0);
    expect(
      await phone.getByRole('checkbox', { name: 'Completed: Try the lentil soup' }).isDisabled(),
    ).toBe(true);
    expect(await phone.getByRole('button', { name: /^(Edit|Delete|More actions)/ }).count()).toBe(
      0,
    );
    expect(await phone.locator('.drag-handle').count()).toBe(0);
    await phone.screenshot({
      path: join(screenshotDir, 'shared-list-375-viewer.png'),
      fullPage: true,
    });

    // The Share dialog shows who has access, with no way to invite or manage them.
    await phone.getByRole('button', { name: 'Share “Recipes”' }).click();
    const dialog = shareDialog(phone, 'Recipes');
    await dialog.waitFor();
    await dialog.getByText('Only the owner and admins of this list can invite people.').waitFor();
    const people = dialog.getByRole('listitem');
    await expect.poll(() => people.allInnerTexts()).toEqual(['Cleo\nOwner', 'Vic (you)\nViewer']);
    expect(await dialog.getByRole('combobox').count()).toBe(0);
    expect(await noHorizontalScroll(phone), 'no horizontal scrolling at 375 px').toBe(true);
    await phone.screenshot({ path: join(screenshotDir, 'share-dialog-375-viewer.png') });

    await dialog.getByRole('button', { name: 'Leave list' }).click();
    const left = phone.waitForResponse((r) => r.request().method() === 'DELETE');
    await dialog.getByRole('button', { name: 'Yes, leave the list' }).click();
    expect((await left).status()).toBe(204);
    await gone(dialog);
    await phone.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    const members = await owner.request.get(`/api/lists/${recipes.id}/members`);
    expect(((await members.json()) as { name: string }[]).map((m) => m.name)).toEqual(['Cleo']);

    // The link was for one person: used up, it says so, with a way home.
    await phone.goto(invitation.url);
    await phone.getByRole('heading', { name: 'This invitation link does not work' }).waitFor();
    await phone.getByRole('link', { name: 'Go to your tasks' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Vic’s tasks' }).waitFor();
  });

  it('makes an editor a viewer, whose next change is refused; the dialog fits 375 px and the dark', async () => {
    const owner = await web.open({ width: 375, height: 812 });
    await signUp(owner, web.stack.baseUrl, newUser('Dana'));
    const trip = await createList(owner, 'Summer trip to the mountains');
    const task = await owner.request.post('/api/tasks', {
      data: { title: 'Book the hut', list_id: trip.id },
    });
    expect(task.status()).toBe(201);
    const first = await createInvitation(owner, trip.id, 'editor');
    const guest = await web.open();
    await signUp(guest, web.stack.baseUrl, newUser('Eli'));
    const joined = await guest.request.post(`/api/invitations/${first.token}/accept`);
    expect(joined.status()).toBe(200);
    const second = await createInvitation(owner, trip.id, 'viewer');
    await guest.goto(`/?list=${trip.id}`);
    const tick = guest.getByRole('checkbox', { name: 'Completed: Book the hut' });
    expect(await tick.isEnabled()).toBe(true);

    // The owner opening her own link is told she has access already.
    await owner.goto(second.url);
    await owner
      .getByRole('heading', { name: 'You already have access to “Summer trip to the mountains”' })
      .waitFor();
    await owner.getByRole('link', { name: 'Open “Summer trip to the mountains”' }).click();
    await owner
      .getByRole('heading', { level: 1, name: 'Summer trip to the mountains', exact: true })
      .waitFor();

    await owner.getByRole('button', { name: 'Share “Summer trip to the mountains”' }).click();
    const dialog = shareDialog(owner, 'Summer trip to the mountains');
    await dialog.getByLabel('Role of Eli').waitFor();
    await dialog.getByRole('button', { name: 'Create link' }).click();
    await dialog.getByText('This link is shown only once: copy it now.').waitFor();
    await owner.waitForLoadState('networkidle');
    expect(await noHorizontalScroll(owner), 'no horizontal scrolling at 375 px').toBe(true);
    await owner.screenshot({ path: join(screenshotDir, 'share-dialog-375.png') });

    const changed = owner.waitForResponse((r) => r.request().method() === 'PATCH');
    await dialog.getByLabel('Role of Eli').selectOption('viewer');
    expect((await changed).status()).toBe(200);

    // Eli's page still offers the checkbox: the server refuses, the page says why and turns
    // read-only.
    const refused = guest.waitForResponse((r) => r.url().endsWith('/complete'));
    await tick.click();
    expect((await refused).status()).toBe(403);
    await guest
      .getByRole('alert')
      .getByText('Could not complete “Book the hut”. You no longer have the rights to do that.')
      .waitFor();
    await guest.getByText('You can view this list, but not change it').waitFor();
    expect(await tick.isDisabled()).toBe(true);
    expect(await tick.isChecked()).toBe(false);

    const dark = await web.open({ dark: true });
    await dark.context().addCookies(await owner.context().cookies());
    await dark.goto(`/?list=${trip.id}`);
    await dark.getByRole('button', { name: 'Share “Summer trip to the mountains”' }).click();
    await shareDialog(dark, 'Summer trip to the mountains').getByLabel('Role of Eli').waitFor();
    await dark.waitForLoadState('networkidle');
    await dark.screenshot({ path: join(screenshotDir, 'share-dialog-1280-dark.png') });
  });
});
