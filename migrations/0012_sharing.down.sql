-- Back to lists of one owner: memberships, invitations, the assignee and the creator go, and
-- every function and policy is as 0011 left it. Tasks that members created in others' lists
-- stay with the lists' owners.

DROP FUNCTION invitation_accept(text, bytea);
DROP FUNCTION invitation_preview(text, bytea);
DROP FUNCTION invitation_delete(text, bigint, bigint);
DROP FUNCTION invitation_list(text, bigint);
DROP FUNCTION invitation_create(text, bigint, text, integer, integer, bytea);
DROP FUNCTION member_lists(text);
DROP FUNCTION member_delete(text, bigint, text);
DROP FUNCTION member_update(text, bigint, text, text);
DROP FUNCTION member_require_manager(text, text);
DROP FUNCTION member_list(text, bigint);
DROP TYPE list_member;

DROP FUNCTION task_export_batch(text, bigint, timestamptz, bigint, integer);
DROP FUNCTION task_list(text, text, boolean, integer, boolean, text, smallint, text[], text,
  timestamptz, timestamptz, bigint, timestamptz, smallint, text, bigint, bigint, boolean, text,
  boolean);
DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text,
  integer, bigint, bigint, text);
DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz, boolean, bigint, boolean, bigint,
  boolean, text);

DROP POLICY task_counts_read ON task_counts;
CREATE POLICY task_counts_owner ON task_counts FOR SELECT
  USING (user_id = nullif(current_setting('app.user_id', true), ''));

DROP TRIGGER tasks_keep_creator ON tasks;
DROP FUNCTION tasks_keep_creator();
DROP TRIGGER tasks_follow_list ON tasks;
DROP FUNCTION tasks_follow_list();
DROP POLICY tasks_read ON tasks;
DROP POLICY tasks_create ON tasks;
DROP POLICY tasks_change ON tasks;
DROP POLICY tasks_remove ON tasks;
CREATE POLICY tasks_owner ON tasks
  USING (user_id = nullif(current_setting('app.user_id', true), ''))
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), ''));
ALTER TABLE tasks DROP COLUMN assignee_id, DROP COLUMN created_by;

DROP POLICY lists_read ON lists;
DROP POLICY lists_create ON lists;
DROP POLICY lists_change ON lists;
DROP POLICY lists_remove ON lists;
CREATE POLICY lists_owner ON lists
  USING (owner_id = nullif(current_setting('app.user_id', true), ''))
  WITH CHECK (owner_id = nullif(current_setting('app.user_id', true), ''));

DROP TABLE list_invitations;
DROP TRIGGER lists_add_owner ON lists;
DROP FUNCTION lists_add_owner();

-- The functions as 0009, 0010 and 0011 made them.

ALTER TYPE list_summary DROP ATTRIBUTE member_count, DROP ATTRIBUTE role;

-- The caller's lists (p_id NULL) or one of them: Inbox first, then by name.
CREATE OR REPLACE FUNCTION list_summaries(p_user_id text, p_id bigint) RETURNS SETOF list_summary
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY
  SELECT l.id, l.owner_id, l.name, l.color, l.inbox, l.version, l.created_at, l.updated_at,
         c.total, c.open, c.completed, c.overdue
    FROM lists l
    CROSS JOIN LATERAL (
      SELECT count(*) AS total,
             count(*) FILTER (WHERE NOT t.completed) AS open,
             count(*) FILTER (WHERE t.completed) AS completed,
             count(*) FILTER (WHERE NOT t.completed AND t.due_date < now()) AS overdue
        FROM tasks t WHERE t.list_id = l.id AND t.user_id = p_user_id
    ) AS c
   WHERE l.owner_id = p_user_id AND (p_id IS NULL OR l.id = p_id)
   ORDER BY l.inbox DESC, lower(l.name), l.name, l.id;
END
$$;

-- After a conditional write found no row: if the list exists, it was the version that did
-- not match, so raise TDV01 (412); otherwise return, and the caller answers 404.
CREATE OR REPLACE FUNCTION list_refuse_stale_version(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF p_expected_version IS NOT NULL
    AND EXISTS (SELECT 1 FROM lists WHERE owner_id = p_user_id AND id = p_id) THEN
    RAISE EXCEPTION 'list version does not match' USING ERRCODE = 'TDV01';
  END IF;
END
$$;

-- Renames or recolours a list (the Inbox: TDI01, 409); If-Match as for tasks.
CREATE OR REPLACE FUNCTION list_update(
  p_user_id text, p_id bigint, p_expected_version integer,
  p_set_name boolean, p_name text, p_set_color boolean, p_color text
) RETURNS SETOF list_summary
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF EXISTS (SELECT 1 FROM lists WHERE owner_id = p_user_id AND id = p_id AND inbox) THEN
    RAISE EXCEPTION 'the Inbox cannot be changed' USING ERRCODE = 'TDI01';
  END IF;
  UPDATE lists SET
    name  = CASE WHEN p_set_name THEN p_name ELSE name END,
    color = CASE WHEN p_set_color THEN p_color ELSE color END
  WHERE owner_id = p_user_id AND id = p_id
    AND (p_expected_version IS NULL OR version = p_expected_version);
  IF NOT FOUND THEN
    PERFORM list_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM list_summaries(p_user_id, p_id);
END
$$;

-- Deletes a list and its tasks (the Inbox: TDI01, 409); the id when one was deleted.
CREATE OR REPLACE FUNCTION list_delete(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  DELETE FROM lists WHERE owner_id = p_user_id AND id = p_id
    AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING id INTO v_id;
  IF NOT FOUND THEN
    PERFORM list_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  RETURN NEXT v_id;
END
$$;

-- Where a task goes: its list, parent and position. Used by create, update and move.
-- p_task_id: the task being placed (NULL for a new one); p_list_id / p_parent_id: the
-- requested list and parent (p_parent_given says whether a parent, possibly NULL, was asked
-- for); p_before_id / p_after_id: the sibling to stand just before or after. Every id must be
-- the caller's: a task that is not raises TDN01 (404), a list TDN02 (404); a subtask in
-- another list than its parent TDM01 (422); a before/after task under another parent than
-- asked for TDS01 (422). The lists involved are locked until the commit, so positions are
-- computed from neighbours no one else is moving.
CREATE OR REPLACE FUNCTION task_placement(
  p_user_id text, p_task_id bigint, p_current_list bigint,
  p_list_id bigint, p_parent_given boolean, p_parent_id bigint,
  p_before_id bigint, p_after_id bigint,
  OUT target_list bigint, OUT target_parent bigint, OUT target_position text
)
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_sibling_id bigint := coalesce(p_before_id, p_after_id);
  v_sibling tasks;
  v_parent_list bigint;
  v_neighbour text;
BEGIN
  IF v_sibling_id = p_task_id THEN
    RAISE EXCEPTION 'a task cannot stand next to itself' USING ERRCODE = 'TDS01';
  END IF;
  -- The parent or sibling named decides the list; it is read again once the list is locked,
  -- since it may have moved while this transaction waited for the lock.
  FOR v_attempt IN 1..5 LOOP
    IF v_sibling_id IS NOT NULL THEN
      SELECT * INTO v_sibling FROM tasks t WHERE t.user_id = p_user_id AND t.id = v_sibling_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no such task' USING ERRCODE = 'TDN01';
      END IF;
      EXIT WHEN v_attempt > 1 AND v_sibling.list_id = target_list
        AND v_sibling.parent_id IS NOT DISTINCT FROM target_parent;
      IF p_parent_given AND p_parent_id IS DISTINCT FROM v_sibling.parent_id THEN
        RAISE EXCEPTION 'that task has another parent' USING ERRCODE = 'TDS01';
      END IF;
      IF p_list_id IS NOT NULL AND p_list_id <> v_sibling.list_id THEN
        RAISE EXCEPTION 'that task is in another list' USING ERRCODE = 'TDM01';
      END IF;
      target_list := v_sibling.list_id;
      target_parent := v_sibling.parent_id;
    ELSIF p_parent_given AND p_parent_id IS NOT NULL THEN
      SELECT t.list_id INTO v_parent_list FROM tasks t
       WHERE t.user_id = p_user_id AND t.id = p_parent_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no such task' USING ERRCODE = 'TDN01';
      END IF;
      EXIT WHEN v_attempt > 1 AND v_parent_list = target_list;
      IF p_list_id IS NOT NULL AND p_list_id <> v_parent_list THEN
        RAISE EXCEPTION 'a subtask lives in its parent''s list' USING ERRCODE = 'TDM01';
      END IF;
      target_list := v_parent_list;
      target_parent := p_parent_id;
    ELSE
      EXIT WHEN v_attempt > 1;
      target_list := coalesce(p_list_id, p_current_list);
      target_parent := NULL;
      IF target_list IS NULL THEN
        SELECT l.id INTO target_list FROM lists l WHERE l.owner_id = p_user_id AND l.inbox;
        IF NOT FOUND THEN
          -- The account is gone (a token that outlived it).
          RAISE EXCEPTION 'no such user' USING ERRCODE = '23503';
        END IF;
      END IF;
    END IF;
    -- A list named by the client must be the caller's (one found through the caller's own
    -- task or Inbox is); then the lists involved take turns, in id order so that two moves
    -- between the same lists cannot deadlock (a transaction-level advisory lock: nothing
    -- written, released at the commit).
    IF target_list = p_list_id AND v_sibling_id IS NULL AND NOT (p_parent_given AND p_parent_id IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = target_list AND l.owner_id = p_user_id) THEN
      RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
    END IF;
    IF p_current_list IS NULL OR p_current_list = target_list THEN
      PERFORM pg_advisory_xact_lock(hashtext('task_tree'), (target_list % 2147483647)::integer);
    ELSE
      PERFORM pg_advisory_xact_lock(hashtext('task_tree'),
        (least(target_list, p_current_list) % 2147483647)::integer);
      PERFORM pg_advisory_xact_lock(hashtext('task_tree'),
        (greatest(target_list, p_current_list) % 2147483647)::integer);
    END IF;
  END LOOP;

  -- Each neighbour is read from the index of its sibling group: a list's top level, or one
  -- task's subtasks.
  IF p_before_id IS NOT NULL AND v_sibling.parent_id IS NULL THEN
    SELECT max(t.position) INTO v_neighbour FROM tasks t
     WHERE t.list_id = v_sibling.list_id AND t.parent_id IS NULL
       AND t.position < v_sibling.position AND t.id IS DISTINCT FROM p_task_id;
    target_position := position_between(v_neighbour, v_sibling.position);
  ELSIF p_before_id IS NOT NULL THEN
    SELECT max(t.position) INTO v_neighbour FROM tasks t
     WHERE t.parent_id = v_sibling.parent_id
       AND t.position < v_sibling.position AND t.id IS DISTINCT FROM p_task_id;
    target_position := position_between(v_neighbour, v_sibling.position);
  ELSIF p_after_id IS NOT NULL AND v_sibling.parent_id IS NULL THEN
    SELECT min(t.position) INTO v_neighbour FROM tasks t
     WHERE t.list_id = v_sibling.list_id AND t.parent_id IS NULL
       AND t.position > v_sibling.position AND t.id IS DISTINCT FROM p_task_id;
    target_position := position_between(v_sibling.position, v_neighbour);
  ELSIF p_after_id IS NOT NULL THEN
    SELECT min(t.position) INTO v_neighbour FROM tasks t
     WHERE t.parent_id = v_sibling.parent_id
       AND t.position > v_sibling.position AND t.id IS DISTINCT FROM p_task_id;
    target_position := position_between(v_sibling.position, v_neighbour);
  ELSIF target_parent IS NULL THEN
    SELECT max(t.position) INTO v_neighbour FROM tasks t
     WHERE t.list_id = target_list AND t.parent_id IS NULL AND t.id IS DISTINCT FROM p_task_id;
    target_position := position_between(v_neighbour, NULL);
  ELSE
    SELECT max(t.position) INTO v_neighbour FROM tasks t
     WHERE t.parent_id = target_parent AND t.id IS DISTINCT FROM p_task_id;
    target_position := position_between(v_neighbour, NULL);
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
  p_set_due_date boolean, p_due_date timestamptz,
  p_set_list boolean, p_list_id bigint,
  p_set_parent boolean, p_parent_id bigint
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
  v_current tasks;
  v_list bigint;
  v_parent bigint;
  v_position text;
  v_moved boolean := false;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_set_list OR p_set_parent THEN
    SELECT * INTO v_current FROM tasks WHERE user_id = p_user_id AND id = p_id;
    IF FOUND AND ((p_set_list AND p_list_id <> v_current.list_id)
               OR (p_set_parent AND p_parent_id IS DISTINCT FROM v_current.parent_id)) THEN
      SELECT * INTO v_list, v_parent, v_position FROM task_placement(
        p_user_id, p_id, v_current.list_id,
        CASE WHEN p_set_list THEN p_list_id END,
        p_set_parent OR p_set_list, CASE WHEN p_set_parent THEN p_parent_id END, NULL, NULL);
      v_moved := true;
    END IF;
  END IF;
  UPDATE tasks SET
    title       = CASE WHEN p_set_title THEN p_title ELSE title END,
    description = CASE WHEN p_set_description THEN p_description ELSE description END,
    status      = CASE WHEN p_set_status THEN p_status ELSE status END,
    priority    = CASE WHEN p_set_priority THEN p_priority ELSE priority END,
    tags        = CASE WHEN p_set_tags THEN p_tags ELSE tags END,
    due_date    = CASE WHEN p_set_due_date THEN p_due_date ELSE due_date END,
    list_id     = CASE WHEN v_moved THEN v_list ELSE list_id END,
    parent_id   = CASE WHEN v_moved THEN v_parent ELSE parent_id END,
    position    = CASE WHEN v_moved THEN v_position ELSE position END
  WHERE user_id = p_user_id AND id = p_id
    AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING * INTO v_task;
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  -- Completing it may have completed subtasks, which the counts returned above predate.
  IF v_task.subtasks_total > 0 THEN
    SELECT * INTO v_task FROM tasks WHERE user_id = p_user_id AND id = p_id;
  END IF;
  RETURN NEXT v_task;
END
$$;

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
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  -- Completing it may have completed subtasks, which the counts returned above predate.
  IF v_task.subtasks_total > 0 THEN
    SELECT * INTO v_task FROM tasks WHERE user_id = p_user_id AND id = p_id;
  END IF;
  RETURN NEXT v_task;
END
$$;

-- Moves a task (and its subtree) to another list, parent or place among its siblings, in
-- one write; see task_placement for what may be asked.
CREATE OR REPLACE FUNCTION task_move(
  p_user_id text, p_id bigint, p_expected_version integer,
  p_list_id bigint, p_parent_given boolean, p_parent_id bigint,
  p_before_id bigint, p_after_id bigint
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_current tasks;
  v_place record;
  v_task tasks;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  SELECT * INTO v_current FROM tasks WHERE user_id = p_user_id AND id = p_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  v_place := task_placement(p_user_id, p_id, v_current.list_id, p_list_id,
                            p_parent_given OR p_list_id IS NOT NULL, p_parent_id,
                            p_before_id, p_after_id);
  UPDATE tasks SET list_id = v_place.target_list, parent_id = v_place.target_parent,
                   position = v_place.target_position
   WHERE user_id = p_user_id AND id = p_id
     AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING * INTO v_task;
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  RETURN NEXT v_task;
END
$$;

-- After an empty page of one list: TDN02 (404) unless the list is the caller's. A page with
-- rows needs no such check: row-level security shows the caller's tasks only, and a task is
-- always in a list of its owner's.
CREATE OR REPLACE FUNCTION task_list_refuse_unknown_list(p_user_id text, p_list_id bigint) RETURNS void
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
CREATE FUNCTION task_list(
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

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
-- A user holds at most p_max_tasks tasks (NULL: no cap): one more raises TDL01. The creates
-- of one user take turns on a transaction-level advisory lock from reading their count to
-- the commit, so concurrent creates cannot overshoot the cap. A retry that replays a stored
-- response creates nothing and is answered even at the cap.
-- The task goes to p_list_id, or its parent's list, or the Inbox, after its last sibling.
CREATE FUNCTION task_create(
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
    -- The count the previous create of this user committed before it let go of the lock.
    IF coalesce((SELECT c.tasks FROM task_counts c WHERE c.user_id = p_user_id), 0)
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
    SELECT position_after(max(t.position)) INTO v_position FROM tasks t
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

CREATE OR REPLACE FUNCTION task_get(p_user_id text, p_id bigint) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id AND id = p_id;
END
$$;

-- After a conditional write found no row: if the task exists, it was the version that did
-- not match, so raise TDV01 (412); otherwise return, and the caller answers 404.
CREATE OR REPLACE FUNCTION task_refuse_stale_version(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF p_expected_version IS NOT NULL
    AND EXISTS (SELECT 1 FROM tasks WHERE user_id = p_user_id AND id = p_id) THEN
    RAISE EXCEPTION 'task version does not match' USING ERRCODE = 'TDV01';
  END IF;
END
$$;

-- Deletes a task; returns its id, or no row when there is no such task of this user.
CREATE OR REPLACE FUNCTION task_delete(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
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
CREATE OR REPLACE FUNCTION task_counts(p_user_id text)
RETURNS TABLE (total bigint, pending bigint, in_progress bigint, completed bigint, overdue bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
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

DROP FUNCTION list_require_role(text, bigint, text);
DROP TABLE list_members;
DROP FUNCTION caller_manages(bigint, text);
DROP FUNCTION caller_list_role(bigint);
DROP FUNCTION role_rank(text);
DROP FUNCTION caller_id();
