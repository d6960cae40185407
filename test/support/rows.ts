import type { Queryable, Row } from '../../src/db/database.js';

/** One row inserted by plain SQL with the given columns; the others take their defaults. */
export async function insertRow<R extends Row>(
  db: Queryable,
  table: string,
  values: Record<string, unknown>,
): Promise<R> {
  const names = Object.keys(values);
  const placeholders = names.map((_, i) => `$${i + 1}`);
  const [row] = await db.query<R>(
    `INSERT INTO ${table} (${names.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *`,
    Object.values(values),
  );
  return row!;
}
