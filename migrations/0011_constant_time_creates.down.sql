-- task_create as 0010 made it, counting the owner's tasks for the cap and placing a task
-- with position_between; the counts, their triggers and position_after go.

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
-- A user holds at most p_max_tasks tasks (NULL: no cap): one more raises TDL01. The creates
-- of one user take turns on a transaction-level advisory lock from the count to the commit,
-- so concurrent creates cannot overshoot the cap. A retry that replays a stored response
-- creates nothing and is answered even at the cap.
-- The task goes to p_list_id, or its parent's list, or the Inbox, after its last sibling.
CREATE OR REPLACE FUNCTION task_create(
  p_user_id text, p_title text, p_description text, p_status text, p_priority smallint,
  p_tags text[], p_due_date timestamptz, p_idempotency_key text, p_fingerprint text,
  p_max_tasks integer, p_list_id bigint, p_parent_id bigint
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
  v_claimed boolean;
  v_fingerprint text;
  v_response jsonb;
  v_list bigint;
  v_parent bigint;
  v_position text;
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

  IF p_parent_id IS NULL THEN
    -- A new top-level task, the common case: the end of its list, without the general
    -- placement's reads and checks (the same lock, the same key).
    IF p_list_id IS NULL THEN
      SELECT l.id INTO v_list FROM lists l WHERE l.owner_id = p_user_id AND l.inbox;
      IF NOT FOUND THEN
        -- The account is gone (a token that outlived it).
        RAISE EXCEPTION 'no such user' USING ERRCODE = '23503';
      END IF;
    ELSIF EXISTS (SELECT 1 FROM lists l WHERE l.id = p_list_id AND l.owner_id = p_user_id) THEN
      v_list := p_list_id;
    ELSE
      RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('task_tree'), (v_list % 2147483647)::integer);
    SELECT position_between(max(t.position), NULL) INTO v_position FROM tasks t
     WHERE t.list_id = v_list AND t.parent_id IS NULL;
  ELSE
    SELECT * INTO v_list, v_parent, v_position
      FROM task_placement(p_user_id, NULL, NULL, p_list_id, true, p_parent_id, NULL, NULL);
  END IF;
  INSERT INTO tasks (user_id, title, description, status, priority, tags, due_date,
                     list_id, parent_id, position)
  VALUES (p_user_id, p_title, p_description, coalesce(p_status, 'pending'),
          coalesce(p_priority, 0), coalesce(p_tags, '{}'), p_due_date,
          v_list, v_parent, v_position)
  RETURNING * INTO v_task;

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response = to_jsonb(v_task)
     WHERE user_id = p_user_id AND key = p_idempotency_key;
  END IF;
  RETURN NEXT v_task;
END
$$;

DROP TRIGGER tasks_count_added ON tasks;
DROP TRIGGER tasks_count_removed ON tasks;
DROP TRIGGER tasks_count_moved ON tasks;
DROP TRIGGER tasks_count_cleared ON tasks;
DROP FUNCTION task_counts_add(), task_counts_remove(), task_counts_move(), task_counts_clear();
DROP TABLE task_counts;
DROP FUNCTION position_after(text);
