import type { Queryable, Row } from '../../src/db/database.js';

// A snapshot of everything the migrations define in the public schema, free of oids and
// other values that differ between two builds of the same schema, so that two snapshots
// are equal exactly when the schemas are. Privileges are compared as sorted lists with a
// NULL ACL spelled out as its default: "never granted" and "granted, then revoked" are the
// same privileges.

const queries = {
  relations: `
    SELECT c.relname AS name, c.relkind::text AS kind, c.relrowsecurity AS row_security,
           c.relforcerowsecurity AS force_row_security,
           ARRAY(SELECT a::text FROM unnest(coalesce(c.relacl, acldefault(
             CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a ORDER BY 1)
             AS acl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
  columns: `
    SELECT c.relname AS table,
           row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)::integer AS position,
           a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
           a.attidentity::text AS identity, a.attgenerated::text AS generated
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND a.attnum > 0 AND NOT a.attisdropped`,
  constraints: `
    SELECT con.conrelid::regclass::text AS table, con.conname AS name,
           con.contype::text AS type, pg_get_constraintdef(con.oid) AS definition
    FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
    WHERE n.nspname = 'public'`,
  indexes: `
    SELECT tablename AS table, indexname AS name, indexdef AS definition
    FROM pg_indexes WHERE schemaname = 'public'`,
  triggers: `
    SELECT t.tgname AS name, pg_get_triggerdef(t.oid) AS definition, t.tgenabled::text AS enabled
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
  policies: `
    SELECT tablename AS table, policyname AS name, permissive, roles::text AS roles, cmd,
           qual, with_check
    FROM pg_policies WHERE schemaname = 'public'`,
  functions: `
    SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition,
           ARRAY(SELECT a::text FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))) a
                  ORDER BY 1) AS acl
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')`,
  defaultPrivileges: `
    SELECT d.defaclrole::regrole::text AS role, n.nspname AS schema, d.defaclobjtype::text AS type,
           ARRAY(SELECT a::text FROM unnest(d.defaclacl) a ORDER BY 1) AS acl
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace`,
  sequences: `
    SELECT sequencename AS name, data_type::text AS type, start_value::text AS start,
           min_value::text AS min, max_value::text AS max, increment_by::text AS increment,
           cycle, cache_size::text AS cache
    FROM pg_sequences WHERE schemaname = 'public'`,
} as const;

export type Catalog = Record<keyof typeof queries, Row[]>;

export async function snapshotCatalog(db: Queryable): Promise<Catalog> {
  const catalog = {} as Catalog;
  for (const [part, sql] of Object.entries(queries) as [keyof typeof queries, string][]) {
    const rows = await db.query(sql);
    catalog[part] = rows
      .map((row) => [JSON.stringify(row), row] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
  }
  return catalog;
}
