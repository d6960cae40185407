import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../test/support/factories.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import { Migrator } from './migrator.js';

// Embedded mode (SPEC §4): the data directory keeps the data, and only one process at a
// time may open it.

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const embeddedModule = new URL('./embedded-database.ts', import.meta.url).href;

let scratch: string;
let childScript: string;
const directories: string[] = [];

/** A data directory that does not exist yet. */
function dataDirectory(): string {
  const dir = join(scratch, `data-${directories.length}`);
  directories.push(dir);
  return dir;
}

/** Opens dir in another Node.js process: its exit status and what it printed. */
function openInAnotherProcess(dir: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dir], {
      cwd: projectRoot,
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'todo-embedded-'));
  childScript = join(scratch, 'open-data-dir.mjs');
  writeFileSync(
    childScript,
    `import { openEmbeddedDatabase } from ${JSON.stringify(embeddedModule)};
try {
  const db = await openEmbeddedDatabase(process.argv[2]);
  await db.query('SELECT 1');
  await db.close();
  console.log('opened');
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
`,
  );
});
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('the embedded database in a data directory', { timeout: 120_000 }, () => {
  it('keeps its rows across a close and a reopen', async () => {
    const dir = dataDirectory();
    const first = await openEmbeddedDatabase(dir);
    await new Migrator(first).migrate();
    const user = await insertUser(first, { email: 'kept@example.test' });
    await first.query("INSERT INTO tasks (user_id, title) VALUES ($1, 'Survive a restart')", [
      user,
    ]);
    await first.close();

    const reopened = await openEmbeddedDatabase(dir);
    try {
      expect(await new Migrator(reopened).migrate()).toEqual([]);
      expect(await reopened.query('SELECT id, email FROM users')).toEqual([
        { id: user, email: 'kept@example.test' },
      ]);
      expect(await reopened.query('SELECT user_id, title FROM tasks')).toEqual([
        { user_id: user, title: 'Survive a restart' },
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('refuses a second process with a clear message while it is open', async () => {
    const dir = dataDirectory();
    const db = await openEmbeddedDatabase(dir);
    try {
      const second = await openInAnotherProcess(dir);
      expect(second.status).not.toBe(0);
      expect(second.output).toContain('is in use by another process');
      expect(second.output).toContain(`pid ${process.pid}`);
      expect(second.output).not.toContain('opened');
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('releases the directory on close, so another process can open it', async () => {
    const dir = dataDirectory();
    const db = await openEmbeddedDatabase(dir);
    expect(readFileSync(join(dir, 'todo.lock'), 'utf8')).toBe(String(process.pid));
    await db.close();
    expect(existsSync(join(dir, 'todo.lock'))).toBe(false);

    const next = await openInAnotherProcess(dir);
    expect(next.output).toContain('opened');
    expect(next.status).toBe(0);
  });

  it('takes over a stale lock left by a process that has exited', async () => {
    const dir = dataDirectory();
    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'todo.lock'), String(exited));

    const db = await openEmbeddedDatabase(dir);
    try {
      expect(readFileSync(join(dir, 'todo.lock'), 'utf8')).toBe(String(process.pid));
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
