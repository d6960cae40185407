import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../test/support/factories.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import { Migrator } from './migrator.js';

// Embedded mode: the data directory keeps the data, only one process at a time may open it,
// and only its owner may read it.

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const embeddedModule = new URL('./embedded-database.ts', import.meta.url).href;
const lockModule = new URL('./data-dir-lock.ts', import.meta.url).href;

let scratch: string;
let childScript: string;
let lockerScript: string;
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
  // Takes the lock of a data directory on "go DIR AT" at the instant AT (epoch ms, sub-ms
  // precision, so that two lockers start together), answers "won" or "lost: why", and
  // releases it on "release".
  lockerScript = join(scratch, 'lock-data-dir.mjs');
  writeFileSync(
    lockerScript,
    `import { createInterface } from 'node:readline';
import { lockDataDirectory } from ${JSON.stringify(lockModule)};
const clock = () => performance.timeOrigin + performance.now();
let held;
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, dir, at] = line.split(' ');
  if (command === 'go') {
    while (clock() < Number(at)) {}
    try {
      held = lockDataDirectory(dir);
      console.log('won');
    } catch (error) {
      console.log('lost: ' + (error instanceof Error ? error.message : String(error)));
    }
  } else if (command === 'release') {
    held?.release();
    held = undefined;
    console.log('released');
  }
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

  it('is held by exactly one of two processes taking over a stale lock at the same instant', async () => {
    const lockers = [startLocker(), startLocker()];
    try {
      await Promise.all(lockers.map((locker) => locker.next()));
      const exited = spawnSync(process.execPath, ['-e', '']).pid;
      const outcomes: string[][] = [];
      for (let trial = 0; trial < 40; trial++) {
        const dir = dataDirectory();
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'todo.lock'), String(exited));
        const at = performance.timeOrigin + performance.now() + 30;
        for (const locker of lockers) locker.send(`go ${dir} ${at}`);
        const answers = await Promise.all(lockers.map((locker) => locker.next()));
        outcomes.push(answers);
        for (const locker of lockers) locker.send('release');
        await Promise.all(lockers.map((locker) => locker.next()));
      }
      const notOneWinner = outcomes.filter(
        (answers) => answers.filter((a) => a === 'won').length !== 1,
      );
      expect(notOneWinner).toEqual([]);
      for (const answers of outcomes) {
        expect(answers.find((a) => a !== 'won')).toMatch(
          /^lost: data directory .* (is in use|is being locked)/,
        );
      }
    } finally {
      for (const locker of lockers) locker.child.kill();
    }
  });

  it('keeps the data directory and every file in it to its owner, whatever the umask', async () => {
    const dir = dataDirectory();
    const umask = process.umask(0o000);
    try {
      const db = await openEmbeddedDatabase(dir);
      await new Migrator(db).migrate();
      const user = await insertUser(db, { email: 'private@example.test' });
      await db.query("INSERT INTO tasks (user_id, title) VALUES ($1, 'Secret')", [user]);
      await db.exec('CHECKPOINT');
      await db.close();
    } finally {
      process.umask(umask);
    }
    expect(looseModes(dir)).toEqual([]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // The umask of the process is its own again once the database is closed.
    expect(process.umask(umask)).toBe(umask);
  });

  it('makes an older data directory with loose modes private when it is opened', async () => {
    const dir = dataDirectory();
    const first = await openEmbeddedDatabase(dir);
    await new Migrator(first).migrate();
    await first.close();
    loosen(dir);
    expect(looseModes(dir).length).toBeGreaterThan(10);

    const umask = process.umask(0o000);
    try {
      const reopened = await openEmbeddedDatabase(dir);
      await reopened.query('SELECT count(*) FROM tasks');
      await reopened.close();
    } finally {
      process.umask(umask);
    }
    expect(looseModes(dir)).toEqual([]);
  });
});

/** A process running lockerScript, answering one line per command. */
function startLocker(): {
  child: ChildProcessWithoutNullStreams;
  send(line: string): void;
  next(): Promise<string>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', lockerScript], { cwd: projectRoot });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let end = buffered.indexOf('\n');
    while (end >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
      end = buffered.indexOf('\n');
    }
  });
  return {
    child,
    send: (line) => child.stdin.write(`${line}\n`),
    next: () => {
      const line = lines.shift();
      return line === undefined
        ? new Promise((resolve) => waiting.push(resolve))
        : Promise.resolve(line);
    },
  };
}

/** Paths under dir (and dir) that anyone but the owner may use: not 0700 directories or 0600 files. */
function looseModes(dir: string): string[] {
  const loose: string[] = [];
  const visit = (path: string) => {
    const stat = statSync(path);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) loose.push(`${path} ${mode.toString(8)}`);
      for (const name of readdirSync(path)) visit(join(path, name));
    } else if (mode !== 0o600) {
      loose.push(`${path} ${mode.toString(8)}`);
    }
  };
  visit(dir);
  return loose;
}

/** What an older version left: directories 0755, files 0644. */
function loosen(path: string): void {
  if (statSync(path).isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) loosen(join(path, name));
  } else {
    chmodSync(path, 0o644);
  }
}
