import { PGlite, type Transaction } from '@electric-sql/pglite';
import { lockDataDirectory } from './data-dir-lock.js';
import type { Database, Queryable, Row } from './database.js';

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
  let pglite: PGlite;
  try {
    pglite = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
    await pglite.waitReady;
  } catch (error) {
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
      await pglite.close();
      lock?.release();
    },
  };
}
