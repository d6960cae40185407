import type { Queryable } from './database.js';

// Two database roles (docs/OPERATIONS.md, "Database roles"): an owner that runs the
// migrations and owns every object, and a runtime login role for the server, a member of the
// NOLOGIN group role below, to which migrations/0005 grants rows, sequences and functions.

/** The group role the migrations grant to; its name is fixed in migrations/0005. */
export const runtimeGroupRole = 'todo_runtime';

export interface RoleNames {
  owner: string;
  app: string;
  database: string;
}

export const defaultRoleNames: RoleNames = {
  owner: 'todo_owner',
  app: 'todo_app',
  database: 'todo',
};

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether a name can be written into SQL as it is (lower case, no quoting needed). */
export const isPlainIdentifier = (name: string): boolean => identifier.test(name);

export interface RolesScript {
  /** As a superuser (or a role with CREATEROLE and CREATEDB), connected to any database. */
  cluster: string[];
  /** As a superuser, connected to the new database. */
  database: string[];
}

/**
 * The statements that create both roles and the database, one per entry (CREATE DATABASE
 * cannot share a transaction). Passwords are placeholders to fill in.
 */
export function rolesScript(names: RoleNames = defaultRoleNames): RolesScript {
  const { owner, app, database } = names;
  for (const name of [owner, app, database]) {
    if (!isPlainIdentifier(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  }
  return {
    cluster: [
      `-- The group role the migrations grant the runtime's rights to; kept when it exists.
DO $$ BEGIN
  CREATE ROLE ${runtimeGroupRole} NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;`,
      `-- Runs the migrations and owns every table and function (DIRECT_DATABASE_URL).
CREATE ROLE ${owner} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '<owner password>';`,
      `-- The server (DATABASE_URL): owns nothing; reads and writes rows, calls the product's functions.
CREATE ROLE ${app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
  PASSWORD '<app password>' IN ROLE ${runtimeGroupRole};`,
      `CREATE DATABASE ${database} OWNER ${owner};`,
      `-- Only these two connect: ${runtimeGroupRole} has the same rights in every database of the cluster.
REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC;`,
      `GRANT CONNECT ON DATABASE ${database} TO ${owner}, ${app};`,
    ],
    database: [
      `-- Nobody but the owner creates objects (already so on PostgreSQL 15 and later).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;`,
      `GRANT CREATE ON SCHEMA public TO ${owner};`,
    ],
  };
}

/** The script as `todo db roles` prints it. */
export function rolesSql(names: RoleNames = defaultRoleNames): string {
  const script = rolesScript(names);
  return [
    '-- 1. As a superuser (or a role with CREATEROLE and CREATEDB), once per cluster:',
    ...script.cluster,
    '',
    `-- 2. As a superuser, connected to ${names.database} (psql: \\connect ${names.database}):`,
    ...script.database,
    '',
    '-- 3. Then run the server with',
    `--   DIRECT_DATABASE_URL=postgres://${names.owner}:<owner password>@<host>/${names.database}  (migrations)`,
    `--   DATABASE_URL=postgres://${names.app}:<app password>@<host>/${names.database}  (everything else)`,
    '',
  ].join('\n');
}

export interface RuntimeRoleCheck {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
  /** The role owns the tasks table, or may act as its owner. */
  ownsTables: boolean;
}

/** What the connected role could do beyond the runtime's rights. */
export async function checkRuntimeRole(db: Queryable): Promise<RuntimeRoleCheck> {
  const [row] = await db.query<{
    role: string;
    superuser: boolean;
    bypass_rls: boolean;
    owns_tables: boolean;
  }>(
    `SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls,
            coalesce(pg_has_role(current_user, c.relowner, 'USAGE'), false) AS owns_tables
       FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('public.tasks')
      WHERE r.rolname = current_user`,
  );
  return {
    role: row?.role ?? '',
    superuser: row?.superuser ?? false,
    bypassRls: row?.bypass_rls ?? false,
    ownsTables: row?.owns_tables ?? false,
  };
}

/** The one warning line for a role with more rights than the runtime's, or undefined. */
export function runtimeRoleWarning(check: RuntimeRoleCheck): string | undefined {
  const what = [
    check.superuser && 'a superuser',
    check.bypassRls && 'exempt from row-level security',
    check.ownsTables && 'the owner of the tables (it could switch row-level security off)',
  ].filter(Boolean);
  if (what.length === 0) return undefined;
  return `the server connects as ${check.role}, ${what.join(', ')}: run it as a runtime role that owns nothing (see "todo db roles" and docs/OPERATIONS.md)`;
}
