-- Two roles: the role that runs the migrations owns every object; the server connects as a
-- login role that is a member of the NOLOGIN group role todo_runtime and owns nothing, so it
-- cannot ALTER, DROP or TRUNCATE a table, nor switch row-level security off. Everything the
-- runtime may do is granted to todo_runtime here, and by default privileges for whatever a
-- later migration creates (docs/OPERATIONS.md, "Database roles"; `todo db roles`).

-- Roles belong to the cluster, not the database: create the group only when it is missing,
-- and let a concurrent migration of another database win the race.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'todo_runtime') THEN
    CREATE ROLE todo_runtime NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'the role todo_runtime does not exist and % may not create it', current_user
      USING HINT = 'create it first with the SQL that `todo db roles` prints';
END
$$;

-- The list query took SQL text (task_query); it now takes the list's parameters and builds
-- its statement from fixed fragments only, so no caller can make it run other SQL.
DROP FUNCTION task_query(text, text, text[]);

-- One page of the user's tasks in the order (sort key, id), starting strictly after the
-- cursor (p_after_id and the sort key's p_after_* value; for due_date, a NULL p_after_time
-- is an undated row). Undated rows come last in both orders. Filters are ANDed; p_search is
-- a case-insensitive substring of the title or the description.
-- The default page (newest first, no filter) is static SQL, planned once per session; any
-- other combination is built from the fragments below and planned for its values.
CREATE FUNCTION task_list(
  p_user_id text, p_sort text, p_descending boolean, p_limit integer,
  p_completed boolean, p_status text, p_priority smallint, p_tags text[], p_search text,
  p_due_before timestamptz, p_due_after timestamptz,
  p_after_id bigint, p_after_time timestamptz, p_after_priority smallint, p_after_title text
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_key text;
  v_after text;
  v_cmp text := CASE WHEN p_descending THEN '<' ELSE '>' END;
  v_direction text := CASE WHEN p_descending THEN 'DESC' ELSE 'ASC' END;
  v_where text := 'user_id = $1';
  v_pattern text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_sort = 'created_at' AND p_descending AND p_completed IS NULL AND p_status IS NULL
    AND p_priority IS NULL AND p_tags IS NULL AND p_search IS NULL AND p_due_before IS NULL
    AND p_due_after IS NULL THEN
    IF p_after_id IS NULL THEN
      RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    ELSE
      RETURN QUERY SELECT * FROM tasks
        WHERE user_id = p_user_id AND (created_at, id) < (p_after_time, p_after_id)
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    END IF;
    RETURN;
  END IF;

  -- Column names and parameter numbers come from these constants, never from an argument.
  v_key := CASE p_sort
    WHEN 'created_at' THEN 'created_at' WHEN 'updated_at' THEN 'updated_at'
    WHEN 'due_date' THEN 'due_date' WHEN 'priority' THEN 'priority' WHEN 'title' THEN 'title'
  END;
  IF v_key IS NULL OR p_descending IS NULL THEN
    RAISE EXCEPTION 'unknown sort % %', p_sort, p_descending USING ERRCODE = '22023';
  END IF;
  v_after := CASE p_sort WHEN 'priority' THEN '$12' WHEN 'title' THEN '$13' ELSE '$11' END;

  IF p_completed IS NOT NULL THEN v_where := v_where || ' AND completed = $3'; END IF;
  IF p_status IS NOT NULL THEN v_where := v_where || ' AND status = $4'; END IF;
  IF p_priority IS NOT NULL THEN v_where := v_where || ' AND priority = $5'; END IF;
  IF cardinality(p_tags) > 0 THEN v_where := v_where || ' AND tags @> $6'; END IF;
  IF p_search <> '' THEN
    v_pattern := '%' || replace(replace(replace(p_search, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    v_where := v_where || ' AND (title ILIKE $7 OR description ILIKE $7)';
  END IF;
  IF p_due_before IS NOT NULL THEN v_where := v_where || ' AND due_date < $8'; END IF;
  IF p_due_after IS NOT NULL THEN v_where := v_where || ' AND due_date > $9'; END IF;
  IF p_after_id IS NOT NULL THEN
    IF p_sort = 'due_date' AND p_after_time IS NULL THEN
      -- After an undated row come only undated rows with a further id.
      v_where := v_where || format(' AND (due_date IS NULL AND id %s $10)', v_cmp);
    ELSIF p_sort = 'due_date' THEN
      -- After a dated row come later dates, then the undated rows.
      v_where := v_where || format(' AND (due_date IS NULL OR (due_date, id) %s ($11, $10))', v_cmp);
    ELSE
      v_where := v_where || format(' AND (%I, id) %s (%s, $10)', v_key, v_cmp, v_after);
    END IF;
  END IF;

  RETURN QUERY EXECUTE format(
    'SELECT * FROM tasks WHERE %s ORDER BY %I %s%s, id %s LIMIT $2',
    v_where, v_key, v_direction, CASE WHEN p_sort = 'due_date' THEN ' NULLS LAST' ELSE '' END,
    v_direction)
  USING p_user_id, p_limit, p_completed, p_status, p_priority, p_tags, v_pattern,
        p_due_before, p_due_after, p_after_id, p_after_time, p_after_priority, p_after_title;
END
$$;

-- One batch of the user's tasks, oldest first, after the given row (the account export
-- reads them batch by batch, so memory stays bounded however many tasks there are). Two
-- fixed statements, so each keeps its index range scan; no SQL text comes from outside.
CREATE FUNCTION task_export_batch(
  p_user_id text, p_after_created_at timestamptz, p_after_id bigint, p_limit integer
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_after_id IS NULL THEN
    RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
      ORDER BY created_at, id LIMIT p_limit;
  ELSE
    RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
      AND (created_at, id) > (p_after_created_at, p_after_id)
      ORDER BY created_at, id LIMIT p_limit;
  END IF;
END
$$;

-- Every function resolves names in pg_catalog first, then public, whatever the caller's
-- search_path: a caller cannot slip in its own operator or table of the same name.
ALTER FUNCTION task_tags_are_valid(text[]) SET search_path = pg_catalog, public;
ALTER FUNCTION tasks_before_insert() SET search_path = pg_catalog, public;
ALTER FUNCTION tasks_before_update() SET search_path = pg_catalog, public;
ALTER FUNCTION idempotency_keys_purge() SET search_path = pg_catalog, public;
ALTER FUNCTION task_get(text, bigint) SET search_path = pg_catalog, public;
ALTER FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text)
  SET search_path = pg_catalog, public;
ALTER FUNCTION task_refuse_stale_version(text, bigint, integer) SET search_path = pg_catalog, public;
ALTER FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz) SET search_path = pg_catalog, public;
ALTER FUNCTION task_toggle(text, bigint, integer) SET search_path = pg_catalog, public;
ALTER FUNCTION task_delete(text, bigint, integer) SET search_path = pg_catalog, public;
ALTER FUNCTION task_counts(text) SET search_path = pg_catalog, public;

-- Only the runtime may call the product's functions (PostgreSQL grants EXECUTE to PUBLIC).
REVOKE EXECUTE ON FUNCTION
  task_tags_are_valid(text[]), tasks_before_insert(), tasks_before_update(),
  idempotency_keys_purge(), task_get(text, bigint),
  task_create(text, text, text, text, smallint, text[], timestamptz, text, text),
  task_refuse_stale_version(text, bigint, integer),
  task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
    boolean, smallint, boolean, text[], boolean, timestamptz),
  task_toggle(text, bigint, integer), task_delete(text, bigint, integer), task_counts(text),
  task_list(text, text, boolean, integer, boolean, text, smallint, text[], text, timestamptz,
    timestamptz, bigint, timestamptz, smallint, text),
  task_export_batch(text, timestamptz, bigint, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  task_tags_are_valid(text[]), tasks_before_insert(), tasks_before_update(),
  idempotency_keys_purge(), task_get(text, bigint),
  task_create(text, text, text, text, smallint, text[], timestamptz, text, text),
  task_refuse_stale_version(text, bigint, integer),
  task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
    boolean, smallint, boolean, text[], boolean, timestamptz),
  task_toggle(text, bigint, integer), task_delete(text, bigint, integer), task_counts(text),
  task_list(text, text, boolean, integer, boolean, text, smallint, text[], text, timestamptz,
    timestamptz, bigint, timestamptz, smallint, text),
  task_export_batch(text, timestamptz, bigint, integer)
TO todo_runtime;

-- Rows, not tables: read and write, never TRUNCATE, REFERENCES or TRIGGER. Better Auth's
-- tables included. The migrations' own ledger is only read (GET /readyz, todo db status).
GRANT USAGE ON SCHEMA public TO todo_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON
  users, sessions, accounts, verifications, jwks, rate_limits, tasks, idempotency_keys
TO todo_runtime;
GRANT USAGE, SELECT ON SEQUENCE tasks_id_seq TO todo_runtime;
GRANT SELECT ON schema_migrations TO todo_runtime;

-- What later migrations create (as this same owner role) is granted the same way, with no
-- manual step: rows of new tables, new sequences, and new functions to the runtime only.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO todo_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO todo_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO todo_runtime;
