import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

// PGlite has no lock of its own: two processes on one data directory lose rows. A lock file
// created with O_EXCL holds the owner's pid; a lock whose process is gone is taken over.

export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';
}

export interface DataDirectoryLock {
  release(): void;
}

export function lockDataDirectory(dir: string): DataDirectoryLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'todo.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (ownerOf(path) === process.pid) rmSync(path, { force: true });
      };
      process.once('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = ownerOf(path);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new DataDirectoryInUseError(
          `data directory ${dir} is in use by another process (pid ${owner}); stop it or set DATA_DIR to another directory`,
        );
      }
      rmSync(path, { force: true }); // stale: its process has exited
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
