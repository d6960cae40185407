-- Back to tasks without recurrence or reminders: completions, reminders and notifications go,
-- and the task functions are as 0012 left them.

DROP FUNCTION user_settings_update(text, boolean, text, boolean, text, boolean, boolean);
DROP FUNCTION notification_email_done(bigint, boolean, timestamptz);
DROP FUNCTION notification_email_claim(integer, interval);
DROP FUNCTION notification_read_all(text);
DROP FUNCTION notification_read(text, bigint);
DROP FUNCTION notification_list(text, boolean, bigint, integer);
DROP FUNCTION task_completion_list(text, bigint, bigint, integer);
DROP FUNCTION task_skip(text, bigint, integer, timestamptz, timestamptz);
DROP FUNCTION reminders_fire(integer, boolean);
DROP FUNCTION task_toggle(text, bigint, integer, timestamptz, timestamptz);
DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz, boolean, bigint, boolean, bigint,
  boolean, text, boolean, text, boolean, text, boolean, jsonb, timestamptz, timestamptz);
DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text,
  integer, bigint, bigint, text, text, text, jsonb);

DROP TABLE notifications;
DROP TRIGGER tasks_arm_reminders_update ON tasks;
DROP TRIGGER tasks_arm_reminders_insert ON tasks;
DROP FUNCTION tasks_arm_reminders();
DROP FUNCTION reminder_time(jsonb, timestamptz, text);
DROP TABLE reminder_fired;
DROP TABLE reminder_queue;
DROP TRIGGER tasks_recurrence_anchor_update ON tasks;
DROP TRIGGER tasks_recurrence_anchor_insert ON tasks;
DROP FUNCTION tasks_anchor_recurrence();
DROP TRIGGER tasks_advance_recurrence ON tasks;
DROP FUNCTION tasks_advance_recurrence();
DROP FUNCTION task_set_advance(bigint, timestamptz, timestamptz);
DROP FUNCTION task_recurrence_detail(tasks);
DROP TABLE task_completions;

ALTER TABLE tasks
  DROP COLUMN reminders,
  DROP COLUMN occurrence,
  DROP COLUMN recurrence_zone,
  DROP COLUMN recurrence_anchor,
  DROP COLUMN recurrence_mode,
  DROP COLUMN recurrence;
ALTER TABLE users
  DROP COLUMN email_reminders,
  DROP COLUMN timezone;

CREATE FUNCTION task_toggle(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  UPDATE tasks t
     SET status = CASE WHEN t.status = 'completed' THEN 'pending' ELSE 'completed' END
   WHERE t.id = p_id AND (p_expected_version IS NULL OR t.version = p_expected_version)
     AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id
              AND m.role <> 'viewer'))
  RETURNING * INTO v_task;
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  -- Completing it may have completed subtasks, which the counts returned above predate.
  IF v_task.subtasks_total > 0 THEN
    SELECT * INTO v_task FROM tasks t WHERE t.id = p_id;
  END IF;
  RETURN NEXT v_task;
END
$$;

CREATE FUNCTION task_update(
  p_user_id text, p_id bigint, p_expected_version integer,
  p_set_title boolean, p_title text,
  p_set_description boolean, p_description text,
  p_set_status boolean, p_status text,
  p_set_priority boolean, p_priority smallint,
  p_set_tags boolean, p_tags text[],
  p_set_due_date boolean, p_due_date timestamptz,
  p_set_list boolean, p_list_id bigint,
  p_set_parent boolean, p_parent_id bigint,
  p_set_assignee boolean, p_assignee_id text
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
    SELECT * INTO v_current FROM tasks t WHERE t.id = p_id AND (t.user_id = p_user_id OR EXISTS (
             SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
    IF FOUND AND ((p_set_list AND p_list_id <> v_current.list_id)
               OR (p_set_parent AND p_parent_id IS DISTINCT FROM v_current.parent_id)) THEN
      PERFORM list_require_role(p_user_id, v_current.list_id, 'editor');
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
    position    = CASE WHEN v_moved THEN v_position ELSE position END,
    assignee_id = CASE WHEN p_set_assignee THEN p_assignee_id ELSE assignee_id END
  WHERE id = p_id AND (p_expected_version IS NULL OR version = p_expected_version)
    AND (user_id = p_user_id OR EXISTS (
          SELECT 1 FROM list_members m WHERE m.list_id = tasks.list_id AND m.user_id = p_user_id
             AND m.role <> 'viewer'))
  RETURNING * INTO v_task;
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  -- Completing it may have completed subtasks, which the counts returned above predate.
  IF v_task.subtasks_total > 0 THEN
    SELECT * INTO v_task FROM tasks t WHERE t.id = p_id;
  END IF;
  RETURN NEXT v_task;
END
$$;

CREATE FUNCTION task_create(
  p_user_id text, p_title text, p_description text, p_status text, p_priority smallint,
  p_tags text[], p_due_date timestamptz, p_idempotency_key text, p_fingerprint text,
  p_max_tasks integer, p_list_id bigint, p_parent_id bigint, p_assignee_id text
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
  v_owner text;
  v_role text;
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

  -- The list, and so the owner: the parent's, the one named, or the caller's Inbox.
  IF p_parent_id IS NOT NULL THEN
    SELECT t.list_id, t.user_id INTO v_list, v_owner FROM tasks t
     WHERE t.id = p_parent_id AND (t.user_id = p_user_id OR EXISTS (
             SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no such task' USING ERRCODE = 'TDN01';
    END IF;
  ELSIF p_list_id IS NULL THEN
    SELECT l.id INTO v_list FROM lists l WHERE l.owner_id = p_user_id AND l.inbox;
    IF NOT FOUND THEN
      -- The account is gone (a token that outlived it).
      RAISE EXCEPTION 'no such user' USING ERRCODE = '23503';
    END IF;
    v_owner := p_user_id;
  ELSE
    SELECT l.owner_id, m.role INTO v_owner, v_role FROM list_members m JOIN lists l ON l.id = m.list_id
     WHERE m.list_id = p_list_id AND m.user_id = p_user_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
    ELSIF v_role = 'viewer' THEN
      RAISE EXCEPTION 'the role viewer does not allow this' USING ERRCODE = 'TDR01';
    END IF;
    v_list := p_list_id;
  END IF;
  IF p_parent_id IS NOT NULL AND v_owner <> p_user_id THEN
    PERFORM list_require_role(p_user_id, v_list, 'editor');
  END IF;

  IF p_max_tasks IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('task_create'), hashtext(v_owner));
    -- The count the previous create for this owner committed before it let go of the lock.
    IF coalesce((SELECT c.tasks FROM task_counts c WHERE c.user_id = v_owner), 0)
       >= p_max_tasks THEN
      RAISE EXCEPTION 'task limit reached' USING ERRCODE = 'TDL01';
    END IF;
  END IF;

  IF p_parent_id IS NULL THEN
    -- A new top-level task, the common case: the end of its list, without the general
    -- placement's reads and checks (the same lock, the same key).
    PERFORM pg_advisory_xact_lock(hashtext('task_tree'), (v_list % 2147483647)::integer);
    SELECT position_after(max(t.position)) INTO v_position FROM tasks t
     WHERE t.list_id = v_list AND t.parent_id IS NULL;
  ELSE
    SELECT * INTO v_list, v_parent, v_position
      FROM task_placement(p_user_id, NULL, NULL, p_list_id, true, p_parent_id, NULL, NULL);
    -- The parent may have moved to another owner's list while this waited for its lock.
    SELECT l.owner_id INTO v_owner FROM lists l WHERE l.id = v_list;
  END IF;
  INSERT INTO tasks (user_id, created_by, assignee_id, title, description, status, priority,
                     tags, due_date, list_id, parent_id, position)
  VALUES (v_owner, p_user_id, p_assignee_id, p_title, p_description,
          coalesce(p_status, 'pending'), coalesce(p_priority, 0), coalesce(p_tags, '{}'),
          p_due_date, v_list, v_parent, v_position)
  RETURNING * INTO v_task;

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response = to_jsonb(v_task)
     WHERE user_id = p_user_id AND key = p_idempotency_key;
  END IF;
  RETURN NEXT v_task;
END
$$;
