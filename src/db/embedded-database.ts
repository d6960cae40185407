import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type PGliteOptions, type Transaction } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { lockDataDirectory } from './data-dir-lock.js';
import type { Database, Queryable, Row } from './database.js';

// The data directory holds every row, session tokens included (in the tables and the WAL):
// it is the owner's alone, 0700, and so is every file in it (0600) and directory (0700),
// whatever the umask of the process. PGlite keeps creating files while open (WAL segments,
// new relations), through Emscripten's NODEFS, which creates them with the process umask
// and then chmods them to the mode PostgreSQL asked for (0666). So: PrivateNodeFS takes the
// group and other bits out of every mode NODEFS creates or sets, the process umask is
// narrowed while a data directory is open (for anything else that writes there), and the
// files of an older directory are chmodded when it is opened.

const PRIVATE_UMASK = 0o077;
let privateHolders = 0;
let umaskBefore = 0;

/** Narrows the process umask to owner-only until the returned function is called. */
export function holdPrivateUmask(): () => void {
  if (privateHolders++ === 0) {
    umaskBefore = process.umask(PRIVATE_UMASK);
    process.umask(umaskBefore | PRIVATE_UMASK);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--privateHolders === 0) process.umask(umaskBefore);
  };
}

/** Permission bits for group and others. */
const GROUP_AND_OTHERS = 0o077;

interface NodeOps {
  mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
  setattr(node: unknown, attr: { mode?: number }): void;
}

/** PGlite's NodeFS whose files and directories never get group or other permissions. */
export class PrivateNodeFS extends NodeFS {
  override async init(...args: Parameters<NodeFS['init']>) {
    const { emscriptenOpts } = await super.init(...args);
    const ownerOnly = (mod: { NODEFS: unknown }) => {
      // Each PGlite has its own Emscripten module: this changes only this database's NODEFS.
      const ops = (mod.NODEFS as { node_ops: NodeOps }).node_ops;
      const { mknod, setattr } = ops;
      ops.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~GROUP_AND_OTHERS, dev);
      ops.setattr = (node, attr) =>
        setattr(
          node,
          attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHERS },
        );
    };
    return {
      emscriptenOpts: { ...emscriptenOpts, preRun: [ownerOnly, ...(emscriptenOpts.preRun ?? [])] },
    };
  }
}

/** Options for a PGlite over dir whose files are owner-only (see PrivateNodeFS). */
export const privateDataDir = (dir: string): PGliteOptions => ({ fs: new PrivateNodeFS(dir) });

/** dir 0700 and, below it, directories 0700 and files 0600; symbolic links are not followed. */
export function makePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makePrivate(path);
    else if (entry.isFile()) chmodSync(path, 0o600);
  }
}

/** Serialises sessions: PGlite is one connection, and a session's BEGIN must not interleave. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => {});
    return result;
  }
}

export interface EmbeddedDatabase extends Database {
  readonly pglite: PGlite;
}

/** PGlite in dataDir, or in memory when dataDir is undefined (tests). */
export async function openEmbeddedDatabase(dataDir: string | undefined): Promise<EmbeddedDatabase> {
  const lock = dataDir === undefined ? undefined : lockDataDirectory(dataDir);
  const releaseUmask = dataDir === undefined ? undefined : holdPrivateUmask();
  let pglite: PGlite;
  try {
    if (dataDir !== undefined) makePrivate(dataDir);
    pglite = dataDir === undefined ? new PGlite() : new PGlite(privateDataDir(dataDir));
    await pglite.waitReady;
  } catch (error) {
    releaseUmask?.();
    lock?.release();
    throw error;
  }
  const mutex = new Mutex();
  const on = (target: PGlite | Transaction): Queryable => ({
    async query<R extends Row>(text: string, params?: readonly unknown[]) {
      return (await target.query<R>(text, params as unknown[] | undefined)).rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  const direct = on(pglite);
  return {
    kind: 'embedded',
    pglite,
    query: (text, params) => mutex.run(() => direct.query(text, params)),
    exec: (sql) => mutex.run(() => direct.exec(sql)),
    withSession: (fn) => mutex.run(() => fn(direct)),
    transaction: (fn) => mutex.run(() => pglite.transaction((tx) => fn(on(tx)))),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async close() {
      try {
        await pglite.close();
      } finally {
        releaseUmask?.();
        lock?.release();
      }
    },
  };
}
