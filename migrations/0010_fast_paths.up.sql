-- Lists cost creates and list pages little more than they did before them: what the planner
-- must know about tasks, room for heap-only updates, one foreign-key check per create instead
-- of two, a direct path for the commonest create, and no ownership query for a list page that
-- has rows.
--
-- Row-level security adds "user_id = the caller" to every query on tasks. A query by list or
-- by parent already implies the owner (a list's tasks are all its owner's), but the planner
-- takes the two conditions as independent, expects almost no row, and for "the last
-- position in a list" (every create) merges two bitmap scans over the list's and the owner's
-- entries instead of reading one entry from the end of the position index. The declared
-- dependencies correct that estimate from the next ANALYZE on.
CREATE STATISTICS tasks_owner_dependencies (dependencies) ON user_id, list_id, parent_id FROM tasks;

-- Room on each page for a row's next version: a change that touches no indexed column (a
-- status, a title, a due date) is then a heap-only update, which writes none of the seven
-- index entries a moved row needs. Pages written from now on keep the room.
ALTER TABLE tasks SET (fillfactor = 90);

-- A task's owner is its list's owner: (list_id, user_id) references lists (id, owner_id), and
-- a list's owner is a user, whose deletion deletes the list and so the task. The direct
-- reference to users adds nothing but a second check, and a second row lock, per create.
ALTER TABLE tasks DROP CONSTRAINT tasks_user_id_fkey;

ANALYZE tasks;

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

-- After an empty page of one list: TDN02 (404) unless the list is the caller's. A page with
-- rows needs no such check: row-level security shows the caller's tasks only, and a task is
-- always in a list of its owner's.
CREATE FUNCTION task_list_refuse_unknown_list(p_user_id text, p_list_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM lists WHERE id = p_list_id AND owner_id = p_user_id) THEN
    RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
  END IF;
END
$$;

-- One page of the caller's tasks in the order (sort key, id), starting strictly after the
-- cursor (p_after_id and the sort key's p_after_* value; for due_date, a NULL p_after_time
-- is an undated row). Undated rows come last in both orders. Filters are ANDed; p_search is
-- a case-insensitive substring of the title or the description; p_list_id one list (TDN02
-- when it is not the caller's, asked only when the page is empty); p_parent_id the subtasks
-- of one task, p_top_level only tasks without a parent. Sort 'position' (the manual order) needs p_list_id.
-- The default pages (newest first, no filter, or one list) are static SQL, planned once
-- per session; any other combination is built from the fragments below and planned for
-- its values.
CREATE OR REPLACE FUNCTION task_list(
  p_user_id text, p_sort text, p_descending boolean, p_limit integer,
  p_completed boolean, p_status text, p_priority smallint, p_tags text[], p_search text,
  p_due_before timestamptz, p_due_after timestamptz,
  p_after_id bigint, p_after_time timestamptz, p_after_priority smallint, p_after_title text,
  p_list_id bigint, p_parent_id bigint, p_top_level boolean, p_after_position text
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
  v_unfiltered boolean := p_completed IS NULL AND p_status IS NULL AND p_priority IS NULL
    AND p_tags IS NULL AND p_search IS NULL AND p_due_before IS NULL AND p_due_after IS NULL
    AND p_parent_id IS NULL AND NOT coalesce(p_top_level, false);
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_sort = 'created_at' AND p_descending AND v_unfiltered THEN
    IF p_list_id IS NULL AND p_after_id IS NULL THEN
      RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    ELSIF p_list_id IS NULL THEN
      RETURN QUERY SELECT * FROM tasks
        WHERE user_id = p_user_id AND (created_at, id) < (p_after_time, p_after_id)
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    -- One list's page: by the list alone (its owner was checked above, and a list's tasks
    -- are its owner's), so that no cached plan can mix in the owner's index.
    ELSIF p_after_id IS NULL THEN
      RETURN QUERY SELECT * FROM tasks WHERE list_id = p_list_id
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    ELSE
      RETURN QUERY SELECT * FROM tasks
        WHERE list_id = p_list_id AND (created_at, id) < (p_after_time, p_after_id)
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    END IF;
    IF NOT FOUND AND p_list_id IS NOT NULL THEN
      PERFORM task_list_refuse_unknown_list(p_user_id, p_list_id);
    END IF;
    RETURN;
  END IF;

  -- Column names and parameter numbers come from these constants, never from an argument.
  v_key := CASE p_sort
    WHEN 'created_at' THEN 'created_at' WHEN 'updated_at' THEN 'updated_at'
    WHEN 'due_date' THEN 'due_date' WHEN 'priority' THEN 'priority' WHEN 'title' THEN 'title'
    WHEN 'position' THEN 'position'
  END;
  IF v_key IS NULL OR p_descending IS NULL OR (p_sort = 'position' AND p_list_id IS NULL) THEN
    RAISE EXCEPTION 'unknown sort % %', p_sort, p_descending USING ERRCODE = '22023';
  END IF;
  v_after := CASE p_sort
    WHEN 'priority' THEN '$12' WHEN 'title' THEN '$13' WHEN 'position' THEN '$17' ELSE '$11'
  END;

  IF p_list_id IS NOT NULL THEN v_where := 'list_id = $14 AND ' || v_where; END IF;
  IF p_parent_id IS NOT NULL THEN v_where := v_where || ' AND parent_id = $15';
  ELSIF p_top_level THEN v_where := v_where || ' AND parent_id IS NULL';
  END IF;
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
    ELSIF p_sort = 'position' AND (p_parent_id IS NOT NULL OR p_top_level) THEN
      v_where := v_where || format(' AND position %s $17', v_cmp);
    ELSE
      v_where := v_where || format(' AND (%I, id) %s (%s, $10)', v_key, v_cmp, v_after);
    END IF;
  END IF;

  -- Within one sibling group a position is unique: it alone is the order, so the page is one
  -- range of that group's index.
  IF p_sort = 'position' AND (p_parent_id IS NOT NULL OR p_top_level) THEN
    RETURN QUERY EXECUTE format(
      'SELECT * FROM tasks WHERE %s ORDER BY position %s LIMIT $2',
      v_where, v_direction)
    USING p_user_id, p_limit, p_completed, p_status, p_priority, p_tags, v_pattern,
          p_due_before, p_due_after, p_after_id, p_after_time, p_after_priority, p_after_title,
          p_list_id, p_parent_id, p_top_level, p_after_position;
    IF NOT FOUND AND p_list_id IS NOT NULL THEN
      PERFORM task_list_refuse_unknown_list(p_user_id, p_list_id);
    END IF;
    RETURN;
  END IF;
  RETURN QUERY EXECUTE format(
    'SELECT * FROM tasks WHERE %s ORDER BY %I %s%s, id %s LIMIT $2',
    v_where, v_key, v_direction, CASE WHEN p_sort = 'due_date' THEN ' NULLS LAST' ELSE '' END,
    v_direction)
  USING p_user_id, p_limit, p_completed, p_status, p_priority, p_tags, v_pattern,
        p_due_before, p_due_after, p_after_id, p_after_time, p_after_priority, p_after_title,
        p_list_id, p_parent_id, p_top_level, p_after_position;
  IF NOT FOUND AND p_list_id IS NOT NULL THEN
    PERFORM task_list_refuse_unknown_list(p_user_id, p_list_id);
  END IF;
END
$$;

