-- The API's task statements, one function each. Every function first sets app.user_id for
-- the current transaction only (set_config(..., true)), then runs its statement, so a
-- request costs one prepared round trip however RLS is enforced (docs/decisions/0001).
-- SECURITY INVOKER (the default): they run with the caller's rights and RLS applies.
-- Every statement also says `user_id = p_user_id` itself; RLS is the second lock.

CREATE FUNCTION task_get(p_user_id text, p_id bigint) RETURNS SETOF tasks
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id AND id = p_id;
END
$$;

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
CREATE FUNCTION task_create(
  p_user_id text, p_title text, p_description text, p_status text, p_priority smallint,
  p_tags text[], p_due_date timestamptz, p_idempotency_key text, p_fingerprint text
) RETURNS SETOF tasks
LANGUAGE plpgsql AS $$
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

-- After a conditional write found no row: if the task exists, it was the version that did
-- not match, so raise TDV01 (412); otherwise return, and the caller answers 404.
CREATE FUNCTION task_refuse_stale_version(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_expected_version IS NOT NULL
    AND EXISTS (SELECT 1 FROM tasks WHERE user_id = p_user_id AND id = p_id) THEN
    RAISE EXCEPTION 'task version does not match' USING ERRCODE = 'TDV01';
  END IF;
END
$$;

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
LANGUAGE plpgsql AS $$
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

-- Toggles completed <-> pending (in_progress counts as not completed).
CREATE FUNCTION task_toggle(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF tasks
LANGUAGE plpgsql AS $$
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

-- Deletes a task; returns its id, or no row when there is no such task of this user.
CREATE FUNCTION task_delete(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  DELETE FROM tasks
   WHERE user_id = p_user_id AND id = p_id
     AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING id INTO v_id;
  IF FOUND THEN
    RETURN NEXT v_id;
  ELSE
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
  END IF;
END
$$;

-- Task counts for GET /api/me; overdue = not completed and due before now.
CREATE FUNCTION task_counts(p_user_id text)
RETURNS TABLE (total bigint, pending bigint, in_progress bigint, completed bigint, overdue bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY
  SELECT count(*),
         count(*) FILTER (WHERE t.status = 'pending'),
         count(*) FILTER (WHERE t.status = 'in_progress'),
         count(*) FILTER (WHERE t.status = 'completed'),
         count(*) FILTER (WHERE t.status <> 'completed' AND t.due_date < now())
    FROM tasks t WHERE t.user_id = p_user_id;
END
$$;

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
