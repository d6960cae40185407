import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKeys, taskKeys } from '../../test/support/api-assertions.js';
import {
  countRows,
  createTestDatabase,
  type TestDatabase,
} from '../../test/support/test-database.js';
import { loadMigrations, Migrator } from '../db/migrator.js';
import type { ListJson } from '../lists/list-json.js';
import { CliError } from './command.js';
import { commands } from './commands.js';
import { runCli } from './runner.js';

// The real `todo` binary in a child process: exit codes, stdout and stderr as a user sees them.

const root = fileURLToPath(new URL('../..', import.meta.url));
// From the migrations directory, so adding a migration does not mean editing this test.
const MIGRATIONS = loadMigrations();
const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((m) => m.version));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `todo args…` with only the configuration given (never the parent's DATABASE_URL). */
function todo(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'DIRECT_DATABASE_URL', 'DATA_DIR', 'TODO_DEBUG']) {
    delete base[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
      // Empty counts as unset and, being set, also beats any ./.env file.
      env: { ...base, DATABASE_URL: '', DIRECT_DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'], // no terminal: confirm() answers no
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Exit 1 with exactly one line on stderr, `todo: …`, and no stack trace. */
function expectOneLineFailure(run: Run, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^todo: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

const countStates = (status: string, state: string) =>
  status.split('\n').filter((line) => new RegExp(`\\s${state}\\b`).test(line)).length;

describe.concurrent('todo without a database', { timeout: 90_000 }, () => {
  it('prints its usage with --help, and that of a command with <command> --help', async () => {
    const help = await todo(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: todo <command>/);
    for (const command of ['db migrate', 'db seed', 'db backup', 'db restore', 'export']) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    const migrateHelp = await todo(['db', 'migrate', '--help']);
    expect(migrateHelp.code).toBe(0);
    expect(migrateHelp.stdout).toMatch(/^Usage: todo db migrate \[--to N\]/);
  });

  it('refuses an unknown command in one line', async () => {
    expectOneLineFailure(await todo(['frobnicate']), /unknown command "frobnicate"/);
  });

  it('refuses the names of Object.prototype members as unknown commands', async () => {
    // In process (main.ts turns a CliError into one line and exit 1, as above).
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const run = runCli(commands, [name], { out: () => {}, err: () => {} });
      await expect(run).rejects.toBeInstanceOf(CliError);
      await expect(run).rejects.toThrow(`unknown command "${name}"`);
    }
  });

  it('names an invalid DATABASE_URL without echoing its password', async () => {
    for (const url of ['mysql://u:pw-secret@localhost/x', 'postgres://u:pw-secret@[nope/x']) {
      const run = await todo(['db', 'status'], { DATABASE_URL: url });
      expectOneLineFailure(run, /DATABASE_URL/);
      expect(run.stderr + run.stdout).not.toContain('pw-secret');
    }
  });

  it('fails in one line, without the password, when the database cannot be reached', async () => {
    const run = await todo(['db', 'status'], {
      DATABASE_URL: 'postgres://u:pw-secret@127.0.0.1:1/x',
      DB_CONNECT_RETRIES: '0',
    });
    expectOneLineFailure(run, /unavailable|ECONNREFUSED/);
    expect(run.stderr + run.stdout).not.toContain('pw-secret');
  });

  it('refuses db backup and db restore for a PostgreSQL server', async () => {
    const env = { DATABASE_URL: 'postgres://u:pw-secret@127.0.0.1:1/x' };
    expectOneLineFailure(
      await todo(['db', 'backup', 'x.tgz'], env),
      /db backup is for the embedded database; use pg_dump for a PostgreSQL server/,
    );
    expectOneLineFailure(await todo(['db', 'restore', 'x.tgz'], env), /embedded database/);
  });
});

describe('todo on a PostgreSQL server', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const count = (table: string, where?: string) => countRows(database.db, table, where);

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('migrates, lists the migrations as applied, then has nothing left to migrate', async () => {
    const migrate = await todo(['db', 'migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stderr).toContain(`migrated: ${MIGRATIONS.length} applied`);
    const status = await todo(['db', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(countStates(status.stdout, 'applied')).toBe(MIGRATIONS.length);
    const again = await todo(['db', 'migrate'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to migrate');
  });

  it('rolls back --steps 2, leaving two migrations pending', async () => {
    await new Migrator(database.db).migrate();
    const rollback = await todo(['db', 'rollback', '--steps', '2'], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    const status = await todo(['db', 'status'], env);
    expect(countStates(status.stdout, 'applied')).toBe(MIGRATIONS.length - 2);
    expect(countStates(status.stdout, 'pending')).toBe(2);
  });

  it('refuses --steps that is not a whole number in one line', async () => {
    expectOneLineFailure(await todo(['db', 'rollback', '--steps', 'x'], env), /--steps/);
  });

  it('resets only when confirmed with --yes when there is no terminal to ask', async () => {
    await new Migrator(database.db).migrate();
    await database.db.exec('TRUNCATE users CASCADE');
    expect((await todo(['db', 'seed', '--users', '2', '--tasks', '1', '--force'], env)).code).toBe(
      0,
    );
    expectOneLineFailure(await todo(['db', 'reset'], env), /not confirmed/);
    expect(await count('users')).toBe(2);
    const reset = await todo(['db', 'reset', '--yes'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect(await count('users')).toBe(0);
    expect(countStates((await todo(['db', 'status'], env)).stdout, 'applied')).toBe(
      MIGRATIONS.length,
    );
  });

  it('refuses to seed a server database without --force, in one line', async () => {
    await new Migrator(database.db).migrate();
    await database.db.exec('TRUNCATE users CASCADE');
    const refused = await todo(['db', 'seed', '--users', '2', '--tasks', '1'], env);
    expectOneLineFailure(refused, /refusing to seed the server database "todo_test_\w+".*--force/);
    expect(await count('users')).toBe(0);
    const help = await todo(['db', 'seed', '--help']);
    expect(help.stdout).toContain('--force');
  });

  it('seeds users who can sign in, their tasks, and refuses to seed the same emails twice', async () => {
    await new Migrator(database.db).migrate();
    await database.db.exec('TRUNCATE users CASCADE');
    const seed = await todo(['db', 'seed', '--users', '20', '--tasks', '5', '--force'], env);
    expect(seed.code, seed.stderr).toBe(0);
    expect(seed.stderr).toMatch(/^seeded 20 users × 5 tasks in [\d.]+ s\n$/);
    expect(await count('users')).toBe(20);
    expect(await count('tasks')).toBe(100);
    expect(await count('accounts', "provider_id = 'credential' AND account_id = user_id")).toBe(20);
    expectOneLineFailure(
      await todo(['db', 'seed', '--users', '3', '--tasks', '1', '--force'], env),
      /user1@example\.test already exists/,
    );
    const prefixed = await todo(
      ['db', 'seed', '--users', '3', '--tasks', '1', '--prefix', 'b-', '--force'],
      env,
    );
    expect(prefixed.code, prefixed.stderr).toBe(0);
    expect(await count('users', "email LIKE 'b-user%@example.test'")).toBe(3);
  });

  it('exports a user, their lists and all their tasks as JSON in the API shape', async () => {
    const run = await todo(['export', '--user', 'user3@example.test'], env);
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(Object.keys(document)).toEqual(['exported_at', 'user', 'lists', 'memberships', 'tasks']);
    expect(document.exported_at).toMatch(/Z$/);
    expect(document.user).toMatchObject({ email: 'user3@example.test', name: 'User 3' });
    // The seeded lists, Inbox first, then by name; the 5 tasks one in each.
    const lists: ListJson[] = document.lists;
    expect(lists.map((l) => [l.name, l.inbox, l.owner_id, l.counts.total])).toEqual(
      ['Inbox', 'Errands', 'Home', 'Reading', 'Work'].map((name) => [
        name,
        name === 'Inbox',
        document.user.id,
        1,
      ]),
    );
    for (const list of lists) expect(Object.keys(list).sort()).toEqual(listKeys);
    expect(document.tasks).toHaveLength(5);
    expect(new Set(document.tasks.map((t: { list_id: number }) => t.list_id))).toEqual(
      new Set(lists.map((l) => l.id)),
    );
    for (const task of document.tasks) {
      expect(Object.keys(task).sort()).toEqual(taskKeys);
      expect(task.user_id).toBe(document.user.id);
      expect(task.title).toMatch(/^Task \d of user 3$/);
      expect(['none', 'low', 'medium', 'high']).toContain(task.priority);
      expect(task.created_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
      expect(task.completed_at === null || task.completed_at.endsWith('Z')).toBe(true);
    }
  });

  it('finds the user to export whatever the case of the email given', async () => {
    const run = await todo(['export', '--user', 'User3@Example.TEST'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).user.email).toBe('user3@example.test');
  });

  it('refuses to export an unknown email in one line', async () => {
    expectOneLineFailure(
      await todo(['export', '--user', 'nobody@example.test'], env),
      /no user with email nobody@example\.test/,
    );
  });
});

describe('todo db backup and db restore on the embedded database', { timeout: 180_000 }, () => {
  let temp: string;
  let backupFile: string;
  const dataDir = (name: string) => join(temp, name);

  beforeAll(() => {
    temp = mkdtempSync(join(tmpdir(), 'todo-cli-test-'));
    backupFile = join(temp, 'backup.tar.gz');
  });
  afterAll(() => {
    rmSync(temp, { recursive: true, force: true });
  });

  async function countIn(dir: string): Promise<{ users: number; tasks: number; version: number }> {
    const pglite = new PGlite(dir);
    try {
      const { rows } = await pglite.query<{ users: number; tasks: number; version: number }>(
        `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM tasks) AS tasks,
                (SELECT max(version)::int FROM schema_migrations) AS version`,
      );
      return rows[0]!;
    } finally {
      await pglite.close();
    }
  }

  it('restores a backup into another DATA_DIR and migrates it', async () => {
    const source = { DATA_DIR: dataDir('source') };
    // An old backup: the first two migrations only.
    expect((await todo(['db', 'migrate', '--to', '2'], source)).code).toBe(0);
    // Rows of that schema, written as it was: seeding speaks the current one.
    const old = new PGlite(dataDir('source'));
    try {
      await old.exec(`
        INSERT INTO users (id, name, email) SELECT 'u' || i, 'User ' || i, 'user' || i || '@example.test'
          FROM generate_series(1, 3) AS i;
        INSERT INTO tasks (user_id, title) SELECT 'u' || i, 'Task ' || j
          FROM generate_series(1, 3) AS i, generate_series(1, 4) AS j;`);
    } finally {
      await old.close();
    }
    // Whatever the umask, a backup (the whole database, sessions included) is owner-only.
    const umask = process.umask(0o000);
    let backup: Run;
    try {
      backup = await todo(['db', 'backup', backupFile], source);
    } finally {
      process.umask(umask);
    }
    expect(backup.code, backup.stderr).toBe(0);
    expect(existsSync(backupFile)).toBe(true);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);

    const restore = await todo(['db', 'restore', backupFile], { DATA_DIR: dataDir('restored') });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toContain(
      `${MIGRATIONS.filter((m) => m.version > 2).length} migration(s) applied`,
    );
    expect(readdirSync(dataDir('restored'))).not.toContain('todo.lock');
    expect(statSync(dataDir('restored')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir('restored'), 'PG_VERSION')).mode & 0o777).toBe(0o600);
    expect(await countIn(dataDir('restored'))).toEqual({
      users: 3,
      tasks: 12,
      version: LATEST_MIGRATION,
    });
  });

  it('restores over an existing database only with --force, moving it aside', async () => {
    const target = { DATA_DIR: dataDir('restored') };
    expectOneLineFailure(
      await todo(['db', 'restore', backupFile], target),
      /already contains a database; pass --force/,
    );
    const forced = await todo(['db', 'restore', backupFile, '--force'], target);
    expect(forced.code, forced.stderr).toBe(0);
    const aside = readdirSync(temp).filter((name) => name.startsWith('restored.bak-'));
    expect(aside).toHaveLength(1);
    expect(existsSync(join(temp, aside[0]!, 'PG_VERSION'))).toBe(true);
    expect((await countIn(dataDir('restored'))).tasks).toBe(12);
  });

  it('refuses a file that is not a backup, and touches nothing', async () => {
    const notBackup = join(temp, 'not-a-backup.tar.gz');
    writeFileSync(notBackup, 'hello');
    expectOneLineFailure(
      await todo(['db', 'restore', notBackup], { DATA_DIR: dataDir('untouched') }),
      /not a backup/,
    );
    expect(existsSync(dataDir('untouched'))).toBe(false);
  });
});
