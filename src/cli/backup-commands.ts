import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Config } from '../config.js';
import { lockDataDirectory } from '../db/data-dir-lock.js';
import { holdPrivateUmask, openEmbeddedDatabase, privateDataDir } from '../db/embedded-database.js';
import { Migrator } from '../db/migrator.js';
import { readBackupTarball } from './backup-tarball.js';
import { CliError, type Command } from './command.js';

// todo db backup FILE / db restore FILE: the embedded database's data directory as one
// gzipped tarball (PGlite's dumpDataDir). A PostgreSQL server has pg_dump for this.

// The lock file of src/db/data-dir-lock.ts; a backup carries the one of the process that made it.
const LOCK_FILE = 'todo.lock';

function refuseServer(config: Config, command: 'backup' | 'restore'): void {
  if (config.DATABASE_URL) {
    throw new CliError(
      `db ${command} is for the embedded database; use pg_dump for a PostgreSQL server`,
    );
  }
}

const hasDatabase = (dir: string) => existsSync(join(dir, 'PG_VERSION'));
const timestamp = () => new Date().toISOString().replace(/[:.]/g, '-');
const reason = (error: unknown) => (error as Error).message.split('\n')[0];

export const dbBackupCommand: Command = {
  name: 'db backup',
  summary: 'write the embedded database (DATA_DIR) to FILE as a gzipped tarball',
  usage: 'db backup FILE',
  positionals: 1,
  async run(ctx, _values, [file]) {
    if (!file) throw new CliError('give the FILE to write the backup to (todo db backup --help)');
    refuseServer(ctx.config, 'backup');
    const dataDir = ctx.config.DATA_DIR;
    if (!hasDatabase(dataDir)) throw new CliError(`no database in DATA_DIR ${dataDir} to back up`);
    // Holds the data-directory lock: no server writes while the files are read.
    const db = await openEmbeddedDatabase(dataDir);
    let bytes: Buffer;
    try {
      await db.exec('CHECKPOINT'); // less WAL to replay when the backup is restored
      bytes = Buffer.from(await (await db.pglite.dumpDataDir('gzip')).arrayBuffer());
    } finally {
      await db.close();
    }
    // Written aside and renamed: a failed backup never leaves a truncated FILE. It holds the
    // whole database, sessions included: readable by its owner only (0600).
    const partial = `${file}.partial-${process.pid}`;
    try {
      rmSync(partial, { force: true });
      writeFileSync(partial, bytes, { mode: 0o600, flag: 'wx' });
      renameSync(partial, file);
    } catch (error) {
      rmSync(partial, { force: true });
      throw new CliError(`cannot write ${file}: ${reason(error)}`);
    }
    ctx.err(`backed up ${dataDir} to ${file} (${(bytes.length / 1e6).toFixed(1)} MB)`);
    return 0;
  },
};

export const dbRestoreCommand: Command = {
  name: 'db restore',
  summary: 'replace the embedded database (DATA_DIR) with a backup, then migrate it',
  usage: `db restore FILE [--force]

  --force   replace an existing database; it is moved aside to DATA_DIR.bak-<time>`,
  options: { force: { type: 'boolean' } },
  positionals: 1,
  async run(ctx, values, [file]) {
    if (!file) throw new CliError('give the backup FILE to restore (todo db restore --help)');
    refuseServer(ctx.config, 'restore');
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${reason(error)}`);
    }
    const backup = readBackupTarball(bytes);
    if ('reason' in backup) throw new CliError(`cannot restore ${file}: ${backup.reason}`);

    // Absolute, so that the staging and .bak directories are siblings of DATA_DIR.
    const dataDir = resolve(ctx.config.DATA_DIR);
    const lock = lockDataDirectory(dataDir);
    try {
      const existing = readdirSync(dataDir).filter((name) => name !== LOCK_FILE);
      if (existing.length > 0 && !values.force) {
        const what = hasDatabase(dataDir) ? 'a database' : 'files';
        throw new CliError(
          `DATA_DIR ${dataDir} already contains ${what}; pass --force to move it aside and restore`,
        );
      }
      // Built and migrated beside DATA_DIR, then swapped in: a bad backup changes nothing.
      const staging = `${dataDir}.restoring-${process.pid}`;
      let applied: number;
      try {
        applied = await loadBackup(staging, backup.tar);
      } catch (error) {
        rmSync(staging, { recursive: true, force: true });
        throw new CliError(`cannot restore ${file}: ${reason(error)}`);
      }
      const aside = existing.length > 0 ? `${dataDir}.bak-${timestamp()}` : undefined;
      if (aside) {
        renameSync(dataDir, aside);
        rmSync(join(aside, LOCK_FILE), { force: true });
      } else {
        rmSync(join(dataDir, LOCK_FILE), { force: true });
        rmdirSync(dataDir);
      }
      renameSync(staging, dataDir);
      ctx.err(
        `restored ${file} into ${dataDir} (${applied} migration(s) applied)` +
          (aside ? `; the previous data directory is now ${aside}` : ''),
      );
      return 0;
    } finally {
      lock.release();
    }
  },
};

/** Unpacks the tarball into dir (a new directory) and migrates it; returns migrations applied. */
async function loadBackup(dir: string, tar: Uint8Array): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  // Owner-only from the first file, as in src/db/embedded-database.ts.
  const releaseUmask = holdPrivateUmask();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pglite = new PGlite({
      ...privateDataDir(dir),
      loadDataDir: new Blob([tar], { type: 'application/x-tar' }),
    });
    await pglite.waitReady;
    await pglite.close();
  } finally {
    releaseUmask();
  }
  // The lock of the process that made the backup came along with the files.
  rmSync(join(dir, LOCK_FILE), { force: true });
  // An old backup is brought up to the schema of this version.
  const db = await openEmbeddedDatabase(dir);
  try {
    return (await new Migrator(db).migrate()).length;
  } finally {
    await db.close();
  }
}
