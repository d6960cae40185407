import type { Queryable, Row } from './database.js';
import { refusalOf } from './refusals.js';

// Every operation of the API is one prepared call of a PL/pgSQL function that sets
// app.user_id for row-level security and runs its statement (docs/decisions/0001).

const statements = new Map<string, string>();

/** The text of a function call with one placeholder per argument, the same every time. */
export function statementOf(fn: string, arity: number): string {
  const name = `${fn}/${arity}`;
  let text = statements.get(name);
  if (text === undefined) {
    const placeholders = Array.from({ length: arity }, (_, i) => `$${i + 1}`).join(', ');
    text = `SELECT * FROM ${fn}(${placeholders})`;
    statements.set(name, text);
  }
  return text;
}

/** One prepared round trip: `SELECT * FROM fn($1, …)`, named after the function. */
export function callFunction<R extends Row>(
  db: Queryable,
  fn: string,
  args: readonly unknown[],
): Promise<R[]> {
  return db.query<R>(statementOf(fn, args.length), [...args], { name: fn });
}

/** The functions a repository calls: each one's arguments in order, and its rows. */
type FunctionTable<Functions> = {
  [F in keyof Functions]: { args: readonly unknown[]; row: Row };
};

/**
 * A typed caller of the functions in `Functions` on `db`, whose refusals (the functions' own
 * SQLSTATEs, constraint violations) leave it as application errors.
 */
export function functionCaller<Functions extends FunctionTable<Functions>>(db: Queryable) {
  return async <F extends keyof Functions & string>(
    fn: F,
    args: Functions[F]['args'],
  ): Promise<Functions[F]['row'][]> => {
    try {
      return await callFunction<Functions[F]['row']>(db, fn, args);
    } catch (error) {
      throw refusalOf(error);
    }
  };
}
