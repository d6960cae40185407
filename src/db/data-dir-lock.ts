import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// PGlite has no lock of its own: two processes on one data directory lose rows. The lock is a
// file holding the owner's pid, created atomically with its content: written aside in full,
// then hard-linked into place (link fails if the name exists), so no reader ever finds it
// empty. A lock whose process is gone is taken over, and the takeover is itself exclusive:
// only the process that creates `todo.lock.takeover-<dead pid>` may remove that lock. Two
// processes racing over one stale lock therefore cannot both remove it, nor remove the
// fresh lock of the one that got there first.

export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';
}

export interface DataDirectoryLock {
  release(): void;
}

const LOCK_FILE = 'todo.lock';
const ATTEMPTS = 5;

/** Directories this process holds: a lock file naming our own pid does not stop a second open. */
const heldHere = new Set<string>();

export function lockDataDirectory(dir: string): DataDirectoryLock {
  const key = resolve(dir);
  if (heldHere.has(key)) {
    throw new DataDirectoryInUseError(`data directory ${dir} is already open in this process`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createHoldingPid(path)) {
      heldHere.add(key);
      const release = () => {
        process.off('exit', release);
        if (!heldHere.delete(key)) return;
        if (readLock(path) === String(process.pid)) rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { release };
    }
    const content = readLock(path);
    if (content === undefined) continue; // released meanwhile: try again
    const owner = pidIn(content);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new DataDirectoryInUseError(
        `data directory ${dir} is in use by another process (pid ${owner}); stop it or set DATA_DIR to another directory`,
      );
    }
    removeStale(path, content, 0);
  }
  throw new DataDirectoryInUseError(`data directory ${dir} is being locked by another process`);
}

/** Creates path holding our pid, all at once; false when path exists. */
function createHoldingPid(path: string): boolean {
  const aside = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, String(process.pid), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * Removes the lock at path if it still holds `content` (a dead owner's pid, or anything that
 * is not a pid). Whoever creates the takeover file first does it; the others leave it to
 * them. A takeover file left by a process that died while taking over is itself stale and
 * is removed the same way.
 */
function removeStale(path: string, content: string, depth: number): void {
  const takeover = `${path}.takeover-${pidIn(content) ?? 'invalid'}`;
  if (!createHoldingPid(takeover)) {
    const taker = readLock(takeover);
    const takerPid = taker === undefined ? undefined : pidIn(taker);
    if (taker !== undefined && depth < 2 && (takerPid === undefined || !isAlive(takerPid))) {
      removeStale(takeover, taker, depth + 1);
    }
    return;
  }
  try {
    // Nobody else can remove or replace the stale lock while we hold its takeover file.
    const owner = pidIn(content);
    if (readLock(path) === content && (owner === undefined || !isAlive(owner))) {
      rmSync(path, { force: true });
    }
  } finally {
    rmSync(takeover, { force: true });
  }
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function pidIn(content: string): number | undefined {
  const pid = Number(content);
  return /^\d+$/.test(content) && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // ours, left by an earlier life of this pid
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
