import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { freePort } from '../../support/postgres-cluster.js';
import { toolAvailable } from '../support/required-tool.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// The real server on a real port over a fresh database, and Debian's Chromium driven by
// playwright-core: what a person gets from `npm start`, tested end to end.

export const root = join(import.meta.dirname, '..', '..');
export const screenshotDir = join(root, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** False (with one line saying what to install) where Chromium is missing; throws under CI. */
export const hasChromium = (suite: string) =>
  toolAvailable(CHROMIUM, 'apt-get install -y chromium (or set CHROMIUM_PATH)', suite);

function newestMtime(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Builds dist/web when it is missing or older than anything under web/. Browser suites run in
 * parallel workers: one builds while the others wait on a lock directory, so none serves a
 * half-written build.
 */
export function ensureWebBuild(): void {
  const index = join(root, 'dist', 'web', 'index.html');
  const fresh = () =>
    existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(root, 'web'));
  if (fresh()) return;
  const lock = join(root, 'dist', '.web-build.lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 300_000) throw new Error(`${lock} held for 5 minutes: remove it if stale`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!fresh()) buildWeb();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function buildWeb(): void {
  try {
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build:
    // build what `npm start` serves.
    execFileSync('npm', ['run', '--silent', 'build:web'], {
      cwd: root,
      stdio: 'pipe',
      env: { ...process.env, NODE_ENV: 'production' },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build:web failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

export interface WebStack {
  baseUrl: string;
  database: TestDatabase;
  browser: Browser;
  close(): Promise<void>;
}

/** `env`: more of the server's environment variables, e.g. { REMINDER_POLL_MS: '500' }. */
export async function startWebStack(env: Record<string, string> = {}): Promise<WebStack> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  }
  ensureWebBuild();
  mkdirSync(screenshotDir, { recursive: true });
  const database = await createTestDatabase();
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    // Better Auth must know the URL the browser uses before the server starts listening.
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      BETTER_AUTH_URL: baseUrl,
      BETTER_AUTH_SECRET: randomBytes(32).toString('hex'),
      AUTH_RATE_LIMIT: 'off',
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: 'true',
      ...env,
    });
    server = await startServer(config, createLogger('silent'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const running = { server, browser };
    return {
      baseUrl,
      database,
      browser,
      async close() {
        await running.browser.close().catch(() => {});
        await running.server.close();
        await database.drop();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await database.drop();
    throw error;
  }
}

/** Every uncaught error and console error of a page (a CSP violation shows up here too). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // The browser logs refused requests (401, 412…) as console errors; those are expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  return errors;
}

export interface PageOptions {
  width?: number;
  height?: number;
  dark?: boolean;
  /** The browser's time zone (IANA name); the machine's by default. */
  timezoneId?: string;
}

/**
 * The stack of one test file, started before its tests and closed after them, and its pages,
 * each in a fresh browser context (its own cookies): after each test they are closed, and
 * any error their consoles showed fails the test.
 */
export function webSuite(suite: string, options: { env?: Record<string, string> } = {}) {
  const present = hasChromium(suite);
  let running: WebStack | undefined;
  const contexts: BrowserContext[] = [];
  const errors: string[][] = [];
  const stack = () => {
    if (!running) throw new Error('the web stack is not running');
    return running;
  };

  beforeAll(async () => {
    if (present) running = await startWebStack(options.env);
  }, 180_000);
  afterAll(async () => {
    await running?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(errors.splice(0).flat(), 'errors in the browser console').toEqual([]);
  });

  return {
    /** False where Chromium is missing: skip the suite. */
    present,
    get stack(): WebStack {
      return stack();
    },
    async open(options: PageOptions = {}): Promise<Page> {
      const context = await stack().browser.newContext({
        viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
        colorScheme: options.dark ? 'dark' : 'light',
        timezoneId: options.timezoneId,
        baseURL: stack().baseUrl,
      });
      contexts.push(context);
      const page = await context.newPage();
      errors.push(collectPageErrors(page));
      return page;
    },
  };
}

let userCounter = 0;
export interface BrowserUser {
  name: string;
  email: string;
  password: string;
}

export function newUser(name: string): BrowserUser {
  userCounter++;
  return {
    name,
    email: `${name.toLowerCase()}-${randomBytes(4).toString('hex')}-${userCounter}@example.test`,
    password: 'correct-horse-battery',
  };
}

/** Opens the app, goes to "Create an account" and signs up; ends on the task list. */
export async function signUp(page: Page, baseUrl: string, user: BrowserUser): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await createAccountFromSignIn(page, user);
  await page.getByRole('heading', { name: `${user.name}’s tasks` }).waitFor();
}

/** From the sign-in screen on the page: "Create an account", filled in and sent. */
export async function createAccountFromSignIn(page: Page, user: BrowserUser): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export const addForm = (page: Page) => page.getByRole('form', { name: 'Add a task' });
export const filters = (page: Page) => page.getByRole('region', { name: 'Filter and sort' });
export const taskItems = (page: Page) => page.locator('ul.task-list > li');
export const taskItem = (page: Page, title: string) =>
  taskItems(page).filter({ has: page.getByText(title, { exact: true }) });

export async function addTask(
  page: Page,
  title: string,
  options: { priority?: string; tags?: string; due?: string; description?: string } = {},
): Promise<void> {
  const form = addForm(page);
  await form.getByLabel('New task').fill(title);
  if (options.description) await form.getByLabel('Description').fill(options.description);
  if (options.priority) await form.getByLabel('Priority').selectOption({ label: options.priority });
  if (options.tags) await form.getByLabel('Tags').fill(options.tags);
  if (options.due) await form.getByLabel('Due date').fill(options.due);
  const created = page.waitForResponse(
    (r) => r.url().endsWith('/api/tasks') && r.request().method() === 'POST',
  );
  await form.getByRole('button', { name: 'Add task' }).click();
  expect((await created).status()).toBe(201);
  await taskItem(page, title).waitFor();
}

/** Titles in the list, top to bottom, once the list has the expected number of rows. */
export async function listedTitles(page: Page, count?: number): Promise<string[]> {
  if (count !== undefined) {
    await expect.poll(() => taskItems(page).count(), { timeout: 10_000 }).toBe(count);
  }
  return page.locator('ul.task-list .task-title').allTextContents();
}

/** Waits until the locator is gone from the page. */
export const gone = (locator: Locator) => locator.waitFor({ state: 'detached' });

/** The accessible name of the focused element, as a person using a screen reader hears it. */
export function focusedName(page: Page): Promise<string | null> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    return el.getAttribute('aria-label')
      ?? (el.labels && el.labels[0] ? el.labels[0].textContent.trim() : null)
      ?? el.textContent.trim();
  })()`);
}

/** Presses Tab until the element with that accessible name has focus (keyboard only). */
export async function tabTo(page: Page, name: string, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if ((await focusedName(page)) === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached "${name}" (last: ${await focusedName(page)})`);
}

/** GET an API path as the page's signed-in user (its session cookie); must answer 200. */
export async function apiGet<T>(page: Page, path: string): Promise<T> {
  const response = await page.request.get(path);
  expect(response.status(), path).toBe(200);
  return (await response.json()) as T;
}

/** The item of a page's API answer with this name or title; fails when there is none. */
export async function apiFind<T extends { name: string } | { title: string }>(
  page: Page,
  path: string,
  label: string,
): Promise<T> {
  const found = (await apiGet<T[]>(page, path)).find(
    (item) => ('name' in item ? item.name : item.title) === label,
  );
  if (!found) throw new Error(`nothing called "${label}" in ${path}`);
  return found;
}
