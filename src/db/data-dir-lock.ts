import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

// PGlite has no lock of its own: two processes on one data directory lose rows. A lock file
// created with O_EXCL holds the owner's pid; a lock whose process is gone is taken over.

export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';
}

export interface DataDirectoryLock {
  release(): void;
}

/** Directories this process holds: a lock file naming our own pid does not stop a second open. */
const heldHere = new Set<string>();

export function lockDataDirectory(dir: string): DataDirectoryLock {
  const key = resolve(dir);
  if (heldHere.has(key)) {
    throw new DataDirectoryInUseError(`data directory ${dir} is already open in this process`);
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'todo.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(key);
      const release = () => {
        process.off('exit', release);
        if (!heldHere.delete(key)) return;
        if (ownerOf(path) === process.pid) rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = ownerOf(path);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new DataDirectoryInUseError(
          `data directory ${dir} is in use by another process (pid ${owner}); stop it or set DATA_DIR to another directory`,
        );
      }
      // Stale (its process has exited). Renaming is atomic: of two processes taking over the
      // same stale lock, one renames it away and the other finds nothing to rename.
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
      } catch {
        // Someone else took it over first; try the exclusive create again.
      }
    }
  }
  throw new DataDirectoryInUseError(`data directory ${dir} is being locked by another process`);
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
