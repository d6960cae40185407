-- Back to one flat set of tasks per user: every task stays, without its list, parent and
-- position; the functions are those of 0004, 0005 and 0007 again.

DROP FUNCTION list_delete(text, bigint, integer);
DROP FUNCTION list_update(text, bigint, integer, boolean, text, boolean, text);
DROP FUNCTION list_refuse_stale_version(text, bigint, integer);
DROP FUNCTION list_create(text, text, text);
DROP FUNCTION list_summaries(text, bigint);
DROP TYPE list_summary;
DROP FUNCTION task_move(text, bigint, integer, bigint, boolean, bigint, bigint, bigint);

DROP FUNCTION task_list(text, text, boolean, integer, boolean, text, smallint, text[], text,
  timestamptz, timestamptz, bigint, timestamptz, smallint, text, bigint, bigint, boolean, text);
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

DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz, boolean, bigint, boolean, bigint);
-- Changes the fields whose p_set_* flag is true. With p_expected_version, changes the task
-- only at that version: a mismatch raises TDV01 (412), a missing task returns no row (404).
CREATE FUNCTION task_update(
  p_user_id text, p_id bigint, p_expected_version integer,
  p_set_title boolean, p_title text,
  p_set_description boolean, p_description text,
  p_set_status boolean, p_status text,
  p_set_priority boolean, p_priority smallint,
  p_set_tags boolean, p_tags text[],
  p_set_due_date boolean, p_due_date timestamptz
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  UPDATE tasks SET
    title       = CASE WHEN p_set_title THEN p_title ELSE title END,
    description = CASE WHEN p_set_description THEN p_description ELSE description END,
    status      = CASE WHEN p_set_status THEN p_status ELSE status END,
    priority    = CASE WHEN p_set_priority THEN p_priority ELSE priority END,
    tags        = CASE WHEN p_set_tags THEN p_tags ELSE tags END,
    due_date    = CASE WHEN p_set_due_date THEN p_due_date ELSE due_date END
  WHERE user_id = p_user_id AND id = p_id
    AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING * INTO v_task;
  IF FOUND THEN
    RETURN NEXT v_task;
  ELSE
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
  END IF;
END
$$;

DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text,
  integer, bigint, bigint);

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
-- A user holds at most p_max_tasks tasks (NULL: no cap): one more raises TDL01. The creates
-- of one user take turns on a transaction-level advisory lock from the count to the commit,
-- so concurrent creates cannot overshoot the cap. A retry that replays a stored response
-- creates nothing and is answered even at the cap.
CREATE FUNCTION task_create(
  p_user_id text, p_title text, p_description text, p_status text, p_priority smallint,
  p_tags text[], p_due_date timestamptz, p_idempotency_key text, p_fingerprint text,
  p_max_tasks integer
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
  v_claimed boolean;
  v_fingerprint text;
  v_response jsonb;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_keys AS k (user_id, key, fingerprint)
    VALUES (p_user_id, p_idempotency_key, p_fingerprint)
    ON CONFLICT (user_id, key) DO UPDATE
      SET fingerprint = excluded.fingerprint, response = NULL, created_at = now()
      WHERE k.created_at < now() - interval '24 hours'
    RETURNING true INTO v_claimed;
    IF v_claimed IS NULL THEN
      SELECT fingerprint, response INTO v_fingerprint, v_response
        FROM idempotency_keys WHERE user_id = p_user_id AND key = p_idempotency_key;
      IF v_fingerprint IS DISTINCT FROM p_fingerprint THEN
        RAISE EXCEPTION 'idempotency key reused with another request' USING ERRCODE = 'TDK01';
      END IF;
      RETURN QUERY SELECT * FROM jsonb_populate_record(NULL::tasks, v_response);
      RETURN;
    END IF;
  END IF;

  IF p_max_tasks IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('task_create'), hashtext(p_user_id));
    -- Counts at most p_max_tasks rows: a user far below the cap reads few index entries.
    IF (SELECT count(*) FROM (SELECT 1 FROM tasks WHERE user_id = p_user_id LIMIT p_max_tasks) AS kept)
       >= p_max_tasks THEN
      RAISE EXCEPTION 'task limit reached' USING ERRCODE = 'TDL01';
    END IF;
  END IF;

  INSERT INTO tasks (user_id, title, description, status, priority, tags, due_date)
  VALUES (p_user_id, p_title, p_description, coalesce(p_status, 'pending'),
          coalesce(p_priority, 0), coalesce(p_tags, '{}'), p_due_date)
  RETURNING * INTO v_task;

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response = to_jsonb(v_task)
     WHERE user_id = p_user_id AND key = p_idempotency_key;
  END IF;
  RETURN NEXT v_task;
END
$$;

DROP FUNCTION task_placement(text, bigint, bigint, bigint, boolean, bigint, bigint, bigint);

-- Toggles completed <-> pending (in_progress counts as not completed).
CREATE OR REPLACE FUNCTION task_toggle(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  UPDATE tasks
     SET status = CASE WHEN status = 'completed' THEN 'pending' ELSE 'completed' END
   WHERE user_id = p_user_id AND id = p_id
     AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING * INTO v_task;
  IF FOUND THEN
    RETURN NEXT v_task;
  ELSE
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
  END IF;
END
$$;

DROP TRIGGER tasks_complete_subtree ON tasks;
DROP FUNCTION tasks_complete_subtree();
DROP TRIGGER tasks_count_subtasks_insert ON tasks;
DROP TRIGGER tasks_count_subtasks_delete ON tasks;
DROP TRIGGER tasks_count_subtasks_update ON tasks;
DROP FUNCTION tasks_count_subtasks();
DROP TRIGGER tasks_check_nesting ON tasks;
DROP FUNCTION tasks_check_nesting();

CREATE OR REPLACE FUNCTION tasks_before_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  NEW.completed_at := CASE WHEN NEW.status = 'completed' THEN date_trunc('milliseconds', now()) END;
  NEW.due_date := date_trunc('milliseconds', NEW.due_date);
  NEW.version := 1;
  NEW.created_at := date_trunc('milliseconds', now());
  NEW.updated_at := NEW.created_at;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION tasks_before_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  NEW.completed_at := CASE
    WHEN NEW.status <> 'completed' THEN NULL
    WHEN OLD.status = 'completed' THEN OLD.completed_at
    ELSE date_trunc('milliseconds', now())
  END;
  NEW.due_date := date_trunc('milliseconds', NEW.due_date);
  NEW.version := OLD.version + 1;
  NEW.created_at := OLD.created_at;
  NEW.updated_at := date_trunc('milliseconds', now());
  RETURN NEW;
END
$$;

DROP INDEX tasks_list_created_idx;
DROP INDEX tasks_top_level_position_key;
DROP INDEX tasks_subtask_position_key;
ALTER TABLE tasks
  DROP CONSTRAINT tasks_parent_fkey,
  DROP CONSTRAINT tasks_list_fkey,
  DROP CONSTRAINT tasks_id_list_key,
  DROP CONSTRAINT tasks_parent_check,
  DROP CONSTRAINT tasks_position_check,
  DROP CONSTRAINT tasks_subtasks_check,
  DROP COLUMN list_id,
  DROP COLUMN parent_id,
  DROP COLUMN position,
  DROP COLUMN subtasks_total,
  DROP COLUMN subtasks_completed;
ALTER TABLE idempotency_keys NO FORCE ROW LEVEL SECURITY;
UPDATE idempotency_keys
   SET response = response - '{list_id,parent_id,position,subtasks_total,subtasks_completed}'::text[]
 WHERE response IS NOT NULL;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;

DROP TRIGGER users_create_inbox ON users;
DROP FUNCTION users_create_inbox();
DROP TABLE lists;
DROP FUNCTION lists_before_insert();
DROP FUNCTION lists_before_update();
DROP FUNCTION lists_before_delete();
