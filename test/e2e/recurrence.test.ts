import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NotificationJson } from '../../src/notifications/schemas.js';
import type { TaskJson } from '../../src/tasks/task-json.js';
import {
  addForm,
  apiGet,
  gone,
  newUser,
  type PageOptions,
  screenshotDir,
  signUp,
  taskItem,
  webSuite,
} from './browser-harness.js';

// Repeating tasks, reminders, the notifications bell and the settings, in headless Chromium
// against the real server. Reminders are looked for every half second here, so one set a few
// seconds ahead shows up within the bell's next poll.

const web = webSuite('the browser tests in test/e2e/recurrence.test.ts', {
  env: { REMINDER_POLL_MS: '500' },
});

/** Not the machine's zone (UTC), so a day is counted in the account's zone, not in UTC. */
const ZONE = 'America/New_York';

/** The wall-clock date (YYYY-MM-DD) and time (HH:MM:SS) of an instant in a zone. */
function wallClock(iso: string | Date, zone: string): { date: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
  };
}

/** YYYY-MM-DD plus some days. */
function addDays(date: string, days: number): string {
  const next = new Date(`${date}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + days);
  return next.toISOString().slice(0, 10);
}

const bell = (page: Page) => page.getByRole('button', { name: /^Notifications/ });
const panel = (page: Page) => page.getByRole('dialog', { name: 'Notifications' });
const noHorizontalScroll = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');

/** The due date as the task shows it: what formatDue writes for a time of this year. */
const shownDue = (page: Page, iso: string) =>
  page.evaluate<string, string>(
    (value) =>
      new Date(value).toLocaleString(undefined, {
        day: 'numeric',
        month: 'short',
        ...(new Date(value).getFullYear() === new Date().getFullYear() ? {} : { year: 'numeric' }),
        hour: '2-digit',
        minute: '2-digit',
      }),
    iso,
  );

/** Another page of the same account (its cookies), for screenshots at another size or scheme. */
async function samePerson(page: Page, options: PageOptions): Promise<Page> {
  const other = await web.open(options);
  await other.context().addCookies(await page.context().cookies());
  await other.goto('/');
  return other;
}

describe.skipIf(!web.present)(
  'repeating tasks and reminders in the web app',
  { timeout: 120_000 },
  () => {
    it('makes a daily task, completes it and sees it move to tomorrow', async () => {
      const page = await web.open({ timezoneId: ZONE });
      await signUp(page, web.stack.baseUrl, newUser('Rae'));

      // The account's zone is UTC at first; the settings offer this device's.
      await page.getByRole('button', { name: 'Settings' }).click();
      const settings = page.getByRole('dialog', { name: 'Settings' });
      await settings.waitFor();
      const zone = settings.getByLabel('Time zone');
      expect(await zone.inputValue()).toBe('UTC');
      await settings.getByText('This device is on America/New York.').waitFor();
      await settings.getByRole('button', { name: 'Use it' }).click();
      expect(await zone.inputValue()).toBe(ZONE);
      await settings.getByLabel('Email me reminders').uncheck();
      await page.screenshot({ path: join(screenshotDir, 'settings-1280.png') });
      const saved = page.waitForResponse(
        (r) => r.url().endsWith('/api/me') && r.request().method() === 'PATCH',
      );
      await settings.getByRole('button', { name: 'Save' }).click();
      expect((await saved).request().postDataJSON()).toEqual({
        timezone: ZONE,
        email_reminders: false,
      });
      expect((await saved).status()).toBe(200);
      await gone(settings);
      expect(await apiGet(page, '/api/me')).toMatchObject({
        timezone: ZONE,
        email_reminders: false,
      });

      // A task due today at 09:00, repeating daily, made in the add form.
      const today = wallClock(new Date(), ZONE).date;
      const form = addForm(page);
      await form.getByLabel('New task').fill('Water the plants');
      // A repeat needs a due date: said as soon as one is chosen.
      await form.getByLabel('Repeat').selectOption({ label: 'Daily' });
      const needsDue = form.getByText('Choose a due date to repeat this task.');
      await needsDue.waitFor();
      await form.getByLabel('Due date').fill(today);
      await gone(needsDue);
      await form.getByLabel('Due time').fill('09:00');

      // A custom rule the server refuses: its reason shows by the rule.
      await form.getByLabel('Repeat').selectOption({ label: 'Custom…' });
      await form.getByLabel('Custom rule').fill('FREQ=HOURLY');
      const refused = page.waitForResponse(
        (r) => r.url().endsWith('/api/tasks') && r.request().method() === 'POST',
      );
      await form.getByRole('button', { name: 'Add task' }).click();
      expect((await refused).status()).toBe(422);
      const problem = (await (await refused).json()) as { errors: { path: string }[] };
      expect(problem.errors.map((e) => e.path)).toEqual(['recurrence']);
      await form
        .getByRole('alert')
        .getByText(/^Could not add the task/)
        .waitFor();
      expect(await form.getByLabel('Custom rule').getAttribute('aria-invalid')).toBe('true');
      await form.locator('.rule-field .field-error').waitFor();

      await form.getByLabel('Repeat').selectOption({ label: 'Daily' });
      expect(await form.getByLabel('From completion').isEnabled()).toBe(true);
      await form.getByLabel('Repeat').selectOption({ label: 'Weekdays (Mon–Fri)' });
      // A rule with set days counts from its dates, never from completion.
      expect(await form.getByLabel('From completion').isDisabled()).toBe(true);
      await form.getByLabel('Repeat').selectOption({ label: 'Daily' });
      const created = page.waitForResponse(
        (r) => r.url().endsWith('/api/tasks') && r.request().method() === 'POST',
      );
      await form.getByRole('button', { name: 'Add task' }).click();
      expect((await created).request().postDataJSON()).toMatchObject({
        title: 'Water the plants',
        recurrence: 'FREQ=DAILY',
        recurrence_mode: 'fixed',
      });
      expect((await created).status()).toBe(201);
      const before = (await (await created).json()) as TaskJson;
      expect(wallClock(before.due_date!, ZONE)).toEqual({ date: today, time: '09:00:00' });
      expect(before.next_due_date).not.toBeNull();

      const item = taskItem(page, 'Water the plants');
      await item.getByText('Every day').waitFor();
      await item.getByText(/^Next:/).waitFor();
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: join(screenshotDir, 'recurrence-1280.png'), fullPage: true });

      // Ticked off: it stays, open, due tomorrow at the same time.
      const completed = page.waitForResponse((r) => r.url().endsWith('/complete'));
      await page.getByRole('checkbox', { name: 'Completed: Water the plants' }).click();
      expect((await completed).status()).toBe(200);
      const after = (await (await completed).json()) as TaskJson;
      expect(after).toMatchObject({ status: 'pending', completed: false });
      expect(after.due_date).toBe(before.next_due_date);
      await expect
        .poll(() => item.locator('.badge.due time').getAttribute('datetime'))
        .toBe(after.due_date);
      expect(await item.locator('.badge.due time').textContent()).toBe(
        await shownDue(page, after.due_date!),
      );
      expect(
        await page.getByRole('checkbox', { name: 'Completed: Water the plants' }).isChecked(),
      ).toBe(false);

      // The API agrees: one day later on the account's calendar, and one completion.
      const stored = await apiGet<TaskJson>(page, `/api/tasks/${before.id}`);
      expect(wallClock(stored.due_date!, ZONE)).toEqual({
        date: addDays(today, 1),
        time: '09:00:00',
      });
      expect(stored.completed).toBe(false);
      const completions = await apiGet<{ due_date: string; completed_at: string }[]>(
        page,
        `/api/tasks/${before.id}/completions`,
      );
      expect(completions).toHaveLength(1);
      expect(completions[0]?.due_date).toBe(before.due_date);

      // Skip moves it on again, without a completion.
      const skipped = page.waitForResponse((r) => r.url().endsWith('/skip'));
      await item.getByRole('button', { name: /^Skip “Water the plants” to / }).click();
      expect((await skipped).status()).toBe(200);
      const afterSkip = (await (await skipped).json()) as TaskJson;
      expect(wallClock(afterSkip.due_date!, ZONE).date).toBe(addDays(today, 2));
      await expect
        .poll(() => item.locator('.badge.due time').getAttribute('datetime'))
        .toBe(afterSkip.due_date);
      expect(await apiGet<unknown[]>(page, `/api/tasks/${before.id}/completions`)).toHaveLength(1);

      // In its list, Skip is in the task's menu.
      await page.goto(`/?list=${before.list_id}`);
      await page.getByRole('button', { name: 'More actions for “Water the plants”' }).click();
      const skippedInList = page.waitForResponse((r) => r.url().endsWith('/skip'));
      await page
        .getByRole('group', { name: 'Actions for “Water the plants”' })
        .getByRole('button', { name: /^Skip/ })
        .click();
      expect((await skippedInList).status()).toBe(200);
      const afterSecondSkip = (await (await skippedInList).json()) as TaskJson;
      expect(wallClock(afterSecondSkip.due_date!, ZONE).date).toBe(addDays(today, 3));
      await page.goto('/');

      // The repeating task, and its edit form, on a phone and in the dark.
      for (const options of [
        { width: 375, height: 812 },
        { width: 375, height: 812, dark: true },
        { width: 1280, height: 900, dark: true },
      ]) {
        const other = await samePerson(page, { ...options, timezoneId: ZONE });
        await taskItem(other, 'Water the plants').getByText('Every day').waitFor();
        await other.waitForLoadState('networkidle');
        expect(await noHorizontalScroll(other), 'no horizontal scrolling').toBe(true);
        const size = `${options.width}${options.dark ? '-dark' : ''}`;
        await other.screenshot({
          path: join(screenshotDir, `recurrence-task-${size}.png`),
          fullPage: true,
        });
        await other.getByRole('button', { name: 'Edit “Water the plants”' }).click();
        await other.getByRole('form', { name: 'Edit “Water the plants”' }).waitFor();
        expect(await noHorizontalScroll(other), 'no horizontal scrolling').toBe(true);
        await other.screenshot({
          path: join(screenshotDir, `recurrence-edit-${size}.png`),
          fullPage: true,
        });
      }

      // The edit form shows the rule as it was chosen.
      await page.getByRole('button', { name: 'Edit “Water the plants”' }).click();
      const editor = page.getByRole('form', { name: 'Edit “Water the plants”' });
      expect(await editor.getByLabel('Repeat').inputValue()).toBe('daily');
      expect(await editor.getByLabel('Due time').inputValue()).toBe('09:00');
      await editor.getByRole('button', { name: 'Cancel' }).click();
      await gone(editor);
    });

    it('sets a reminder a few seconds ahead and sees the notification', async () => {
      // The account's zone (UTC at first) and the browser's agree on what "tomorrow" is.
      const page = await web.open({ timezoneId: 'UTC' });
      await signUp(page, web.stack.baseUrl, newUser('Ike'));
      expect(await bell(page).getAttribute('aria-label')).toBe('Notifications');

      // A reminder added in the form: 15 minutes before the due time.
      const tomorrow = addDays(wallClock(new Date(), 'UTC').date, 1);
      const form = addForm(page);
      await form.getByLabel('New task').fill('Pay the rent');
      await form.getByLabel('Due date').fill(tomorrow);
      await form.getByLabel('Due time').fill('10:00');
      await form.getByRole('button', { name: 'Add reminder' }).click();
      await form.getByLabel('When to remind').selectOption({ label: '15 minutes before' });
      await form.getByRole('button', { name: 'Add', exact: true }).click();
      await form.getByRole('button', { name: 'Remove reminder: 15 minutes before' }).waitFor();
      const created = page.waitForResponse(
        (r) => r.url().endsWith('/api/tasks') && r.request().method() === 'POST',
      );
      await form.getByRole('button', { name: 'Add task' }).click();
      expect((await created).status()).toBe(201);
      expect((await created).request().postDataJSON()).toMatchObject({
        reminders: [{ before: 'PT15M' }],
      });
      const rent = taskItem(page, 'Pay the rent');
      await rent.getByText('Reminder: 15 minutes before').waitFor();

      // And one at a date and time, in the edit form.
      await page.getByRole('button', { name: 'Edit “Pay the rent”' }).click();
      const editor = page.getByRole('form', { name: 'Edit “Pay the rent”' });
      await editor.getByRole('button', { name: 'Add reminder' }).click();
      await editor.getByLabel('When to remind').selectOption({ label: 'At a date and time' });
      await editor.getByLabel('Remind at').fill(`${tomorrow}T08:30`);
      await editor.getByLabel('Remind at').press('Enter');
      await editor.getByRole('button', { name: /^Remove reminder: At / }).waitFor();
      const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
      await editor.getByRole('button', { name: 'Save' }).click();
      expect((await patched).status()).toBe(200);
      const reminders = ((await patched).request().postDataJSON() as { reminders: object[] })
        .reminders;
      expect(reminders).toHaveLength(2);
      expect(reminders[0]).toEqual({ before: 'PT15M' });
      expect(reminders[1]).toHaveProperty('at');
      await rent.getByText('2 reminders').waitFor();
      await rent.getByText(/^Reminders: 15 minutes before; At /).waitFor();

      // A reminder a few seconds ahead (the form's minutes are too coarse): set through the API.
      const soon = new Date(Date.now() + 3_000).toISOString();
      const dentist = await page.request.post('/api/tasks', {
        data: {
          title: 'Call the dentist',
          due_date: new Date(Date.now() + 3_600_000).toISOString(),
          reminders: [{ at: soon }],
        },
      });
      expect(dentist.status()).toBe(201);
      const dentistTask = (await dentist.json()) as TaskJson;

      // The bell counts it within a poll or two.
      await expect
        .poll(() => bell(page).getAttribute('aria-label'), { timeout: 20_000 })
        .toBe('Notifications, 1 unread');
      expect(await bell(page).locator('.bell-count').textContent()).toBe('1');

      await bell(page).click();
      await panel(page).waitFor();
      const row = panel(page).getByRole('button', { name: /^Unread: Call the dentist/ });
      await row.waitFor();
      await row.getByText('just now').waitFor();
      await page.screenshot({ path: join(screenshotDir, 'notifications-1280.png') });

      // The same, in the dark and on a phone (the other pages do not mark anything read).
      for (const options of [
        { width: 1280, height: 900, dark: true },
        { width: 375, height: 812 },
        { width: 375, height: 812, dark: true },
      ]) {
        const other = await samePerson(page, { ...options, timezoneId: 'UTC' });
        await expect
          .poll(() => bell(other).getAttribute('aria-label'))
          .toBe('Notifications, 1 unread');
        await bell(other).click();
        await panel(other)
          .getByRole('button', { name: /^Unread: Call the dentist/ })
          .waitFor();
        expect(await noHorizontalScroll(other), 'no horizontal scrolling').toBe(true);
        const name = `notifications-${options.width}${options.dark ? '-dark' : ''}.png`;
        await other.screenshot({ path: join(screenshotDir, name) });
        await other.keyboard.press('Escape');
        await gone(panel(other));
        if (options.width === 375) {
          // The form's schedule fields at phone width: a custom rule and its options.
          const phoneForm = addForm(other);
          await phoneForm.getByLabel('Due date').fill(tomorrow);
          await phoneForm.getByLabel('Repeat').selectOption({ label: 'Custom…' });
          await phoneForm.getByLabel('Custom rule').fill('FREQ=WEEKLY;INTERVAL=2');
          await phoneForm.getByRole('button', { name: 'Add reminder' }).click();
          await taskItem(other, 'Pay the rent').getByText('2 reminders').waitFor();
          expect(await noHorizontalScroll(other), 'no horizontal scrolling').toBe(true);
          const form375 = `recurrence-375${options.dark ? '-dark' : ''}.png`;
          await other.screenshot({ path: join(screenshotDir, form375), fullPage: true });
        }
      }

      // Clicking it marks it read and goes to the task's list.
      const read = page.waitForResponse((r) => r.url().endsWith('/read'));
      await row.click();
      expect((await read).status()).toBe(200);
      await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
      expect(new URL(page.url()).search).toBe(`?list=${dentistTask.list_id}`);
      await expect.poll(() => bell(page).getAttribute('aria-label')).toBe('Notifications');
      const [notification] = await apiGet<NotificationJson[]>(page, '/api/notifications');
      expect(notification).toMatchObject({ task_id: dentistTask.id, read: true, late: false });

      // Still listed, as read.
      await bell(page).click();
      await panel(page)
        .getByRole('button', { name: /^Call the dentist/ })
        .waitFor();
      expect(await panel(page).getByRole('button', { name: 'Mark all read' }).count()).toBe(0);
      await page.keyboard.press('Escape');
      await gone(panel(page));
      expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe(
        'Notifications',
      );
    });
  },
);
