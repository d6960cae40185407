-- Back to the state of migration 0004: functions executable by PUBLIC with no pinned
-- search_path, no grants to todo_runtime, task_query in place of task_list and task_export_batch.
-- The role todo_runtime stays: it belongs to the cluster, and other databases may use it.

ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM todo_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM todo_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM todo_runtime;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;

REVOKE SELECT ON schema_migrations FROM todo_runtime;
REVOKE USAGE, SELECT ON SEQUENCE tasks_id_seq FROM todo_runtime;
REVOKE SELECT, INSERT, UPDATE, DELETE ON
  users, sessions, accounts, verifications, jwks, rate_limits, tasks, idempotency_keys
FROM todo_runtime;
REVOKE USAGE ON SCHEMA public FROM todo_runtime;

DROP FUNCTION task_export_batch(text, timestamptz, bigint, integer);
DROP FUNCTION task_list(text, text, boolean, integer, boolean, text, smallint, text[], text,
  timestamptz, timestamptz, bigint, timestamptz, smallint, text);

REVOKE EXECUTE ON FUNCTION
  task_tags_are_valid(text[]), tasks_before_insert(), tasks_before_update(),
  idempotency_keys_purge(), task_get(text, bigint),
  task_create(text, text, text, text, smallint, text[], timestamptz, text, text),
  task_refuse_stale_version(text, bigint, integer),
  task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
    boolean, smallint, boolean, text[], boolean, timestamptz),
  task_toggle(text, bigint, integer), task_delete(text, bigint, integer), task_counts(text)
FROM todo_runtime;
GRANT EXECUTE ON FUNCTION
  task_tags_are_valid(text[]), tasks_before_insert(), tasks_before_update(),
  idempotency_keys_purge(), task_get(text, bigint),
  task_create(text, text, text, text, smallint, text[], timestamptz, text, text),
  task_refuse_stale_version(text, bigint, integer),
  task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
    boolean, smallint, boolean, text[], boolean, timestamptz),
  task_toggle(text, bigint, integer), task_delete(text, bigint, integer), task_counts(text)
TO PUBLIC;

ALTER FUNCTION task_tags_are_valid(text[]) RESET search_path;
ALTER FUNCTION tasks_before_insert() RESET search_path;
ALTER FUNCTION tasks_before_update() RESET search_path;
ALTER FUNCTION idempotency_keys_purge() RESET search_path;
ALTER FUNCTION task_get(text, bigint) RESET search_path;
ALTER FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text)
  RESET search_path;
ALTER FUNCTION task_refuse_stale_version(text, bigint, integer) RESET search_path;
ALTER FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz) RESET search_path;
ALTER FUNCTION task_toggle(text, bigint, integer) RESET search_path;
ALTER FUNCTION task_delete(text, bigint, integer) RESET search_path;
ALTER FUNCTION task_counts(text) RESET search_path;

-- Runs a list query built by src/tasks/list-query.ts from fixed fragments (never from
-- client text: values arrive in p_params as $1[n]). Dynamic SQL is planned on each call;
-- the list's sorts and filters are too many combinations for one static statement.
CREATE FUNCTION task_query(p_user_id text, p_sql text, p_params text[]) RETURNS SETOF tasks
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY EXECUTE p_sql USING p_params;
END
$$;
