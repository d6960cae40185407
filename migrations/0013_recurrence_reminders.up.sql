-- Recurring tasks and reminders.
--
-- A task may repeat by an RFC 5545 rule, in its owner's time zone. The rule itself is
-- evaluated by the server (a maintained RRULE library, docs/decisions/0014): completing an
-- occurrence needs to know where the task moves next, so a write that would complete a
-- recurring task without being told raises TDRC1 with what the server needs to work it out,
-- and the server calls again with the answer. The completion record and the move to the next
-- occurrence then happen in the statement that completes it: one transaction, under the row's
-- lock, so two people completing the same occurrence at once move it once.
--
-- Reminders are stored on the task (a small JSON array) and armed per occurrence in
-- reminder_queue, which triggers keep in step with the due date. Firing takes due rows with
-- FOR UPDATE SKIP LOCKED, records each (task, reminder, occurrence) once in reminder_fired,
-- and writes the notifications, all in one statement: any number of processes may fire at
-- once, and each reminder of each occurrence fires exactly once.

ALTER TABLE users
  ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
  ADD COLUMN email_reminders boolean NOT NULL DEFAULT true,
  ADD CONSTRAINT users_timezone_check CHECK (length(timezone) BETWEEN 1 AND 64);

ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY;
-- What a task without a rule or reminders does not need is NULL, not a default: such a task
-- (most of them) stores and sends nothing more than before, which every page of tasks reads.
ALTER TABLE tasks
  ADD COLUMN recurrence text,
  -- 'from_completion', or NULL for the default, 'fixed'.
  ADD COLUMN recurrence_mode text,
  -- The series' first due date (its DTSTART) and which occurrence the task is at (1: the
  -- first), which COUNT is measured against. A change of rule or of due date starts anew.
  ADD COLUMN recurrence_anchor timestamptz,
  ADD COLUMN occurrence integer,
  -- The owner's time zone, which occurrences are computed in (kept when the owner changes it).
  ADD COLUMN recurrence_zone text,
  -- NULL: none.
  ADD COLUMN reminders jsonb,
  ADD CONSTRAINT tasks_recurrence_check CHECK (length(recurrence) BETWEEN 1 AND 500),
  ADD CONSTRAINT tasks_recurrence_mode_check
    CHECK (recurrence_mode = 'from_completion'),
  -- A rule repeats a due date: it needs one.
  ADD CONSTRAINT tasks_recurrence_due_check CHECK (recurrence IS NULL OR due_date IS NOT NULL),
  -- From completion, the next date is the completion's plus the interval: no BY… parts.
  ADD CONSTRAINT tasks_recurrence_by_check
    CHECK (recurrence_mode IS NULL OR recurrence NOT LIKE '%BY%'),
  ADD CONSTRAINT tasks_reminders_check
    CHECK (jsonb_typeof(reminders) = 'array' AND jsonb_array_length(reminders) BETWEEN 1 AND 5);
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;

-- Each completed occurrence of a recurring task (the last one included).
CREATE TABLE task_completions (
  id           bigserial PRIMARY KEY,
  task_id      bigint NOT NULL,
  list_id      bigint NOT NULL,
  due_date     timestamptz NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  completed_by text REFERENCES users (id) ON DELETE SET NULL,
  -- Through the task's (id, list_id) key, which follows the task when it moves.
  FOREIGN KEY (task_id, list_id) REFERENCES tasks (id, list_id) ON DELETE CASCADE ON UPDATE CASCADE
);
-- A task's completions, newest first.
CREATE INDEX task_completions_task_idx ON task_completions (task_id, id DESC);
CREATE INDEX task_completions_completed_by_idx ON task_completions (completed_by);
-- Whoever may read the task may read its completions (one lookup of the task, under its
-- own row-level security); they are written only by completing the task.
ALTER TABLE task_completions ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_completions FORCE ROW LEVEL SECURITY;
CREATE POLICY task_completions_read ON task_completions FOR SELECT
  USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_completions.task_id));
CREATE POLICY task_completions_add ON task_completions FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_completions.task_id));
REVOKE UPDATE, DELETE ON task_completions FROM todo_runtime;

-- What the server needs to work out a task's next occurrence, as the DETAIL of TDRC1.
CREATE FUNCTION task_recurrence_detail(p_task tasks) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
AS $$
  SELECT json_build_object(
    'id', p_task.id,
    'recurrence', p_task.recurrence,
    'recurrence_mode', coalesce(p_task.recurrence_mode, 'fixed'),
    'due_date', extract(epoch FROM p_task.due_date) * 1000,
    'anchor', extract(epoch FROM coalesce(p_task.recurrence_anchor, p_task.due_date)) * 1000,
    'occurrence', coalesce(p_task.occurrence, 1),
    'timezone', p_task.recurrence_zone)::text
$$;

-- The server's answer for one task, for the rest of the transaction: "task:occurrence:next",
-- times in epoch milliseconds, next empty when the series ends there. The functions call it
-- only when they have an answer: a write without one costs nothing more.
CREATE FUNCTION task_set_advance(p_id bigint, p_occurrence timestamptz, p_next_due timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, public
AS $$
  SELECT set_config('app.advance',
    p_id || ':' || (extract(epoch FROM p_occurrence) * 1000)::bigint || ':'
         || coalesce((extract(epoch FROM p_next_due) * 1000)::bigint::text, ''), true)
$$;

-- Completing a recurring task: the completion is recorded, and unless the series ends here
-- the task moves to its next occurrence, pending again. Runs before tasks_before_update
-- (names sort), which then sees the task as it ends up. A task completed along with its
-- parent (a nested trigger) is completed for good, its completion recorded.
CREATE FUNCTION tasks_advance_recurrence() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_advance text[] := string_to_array(current_setting('app.advance', true), ':');
BEGIN
  IF pg_trigger_depth() > 1 THEN
    INSERT INTO task_completions (task_id, list_id, due_date, completed_by)
    VALUES (NEW.id, NEW.list_id, NEW.due_date, caller_id());
    RETURN NEW;
  END IF;
  IF v_advance IS NULL OR v_advance[1] IS DISTINCT FROM NEW.id::text THEN
    RAISE EXCEPTION 'a recurring task needs its next occurrence' USING ERRCODE = 'TDRC1',
      DETAIL = task_recurrence_detail(NEW);
  END IF;
  IF v_advance[2] <> (extract(epoch FROM date_trunc('milliseconds', NEW.due_date)) * 1000)::bigint::text THEN
    -- Someone else completed that occurrence first.
    RAISE EXCEPTION 'that occurrence is already completed' USING ERRCODE = 'TDRC2';
  END IF;
  INSERT INTO task_completions (task_id, list_id, due_date, completed_by)
  VALUES (NEW.id, NEW.list_id, NEW.due_date, caller_id());
  IF v_advance[3] <> '' THEN
    NEW.status := 'pending';
    NEW.due_date := to_timestamp(v_advance[3]::numeric / 1000);
    NEW.occurrence := coalesce(OLD.occurrence, 1) + 1;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER tasks_advance_recurrence BEFORE UPDATE OF status ON tasks
  FOR EACH ROW WHEN (NEW.status = 'completed' AND OLD.status <> 'completed'
                     AND NEW.recurrence IS NOT NULL)
  EXECUTE FUNCTION tasks_advance_recurrence();

-- A new rule, a new mode, or a due date the user moved starts the series again from the due
-- date; moving to the next occurrence (the occurrence number goes up) does not. The series
-- runs in the time zone of the task's owner (after tasks_follow_list, by the trigger's name,
-- so that a task moved to another owner's list takes the new owner's).
CREATE FUNCTION tasks_anchor_recurrence() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF NEW.recurrence IS NULL THEN
    NEW.recurrence_anchor := NULL;
    NEW.recurrence_zone := NULL;
    NEW.occurrence := NULL;
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' OR OLD.recurrence IS NULL OR NEW.user_id <> OLD.user_id THEN
    SELECT u.timezone INTO NEW.recurrence_zone FROM users u WHERE u.id = NEW.user_id;
  END IF;
  IF TG_OP = 'INSERT'
     OR NEW.recurrence IS DISTINCT FROM OLD.recurrence
     OR NEW.recurrence_mode IS DISTINCT FROM OLD.recurrence_mode
     OR (NEW.due_date IS DISTINCT FROM OLD.due_date
         AND NEW.occurrence IS NOT DISTINCT FROM OLD.occurrence) THEN
    NEW.recurrence_anchor := date_trunc('milliseconds', NEW.due_date);
    NEW.occurrence := 1;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER tasks_recurrence_anchor_insert BEFORE INSERT ON tasks
  FOR EACH ROW WHEN (NEW.recurrence IS NOT NULL) EXECUTE FUNCTION tasks_anchor_recurrence();
CREATE TRIGGER tasks_recurrence_anchor_update
  BEFORE UPDATE OF recurrence, recurrence_mode, due_date, recurrence_anchor, occurrence, user_id,
  list_id ON tasks
  FOR EACH ROW WHEN (NEW.recurrence IS NOT NULL OR OLD.recurrence IS NOT NULL)
  EXECUTE FUNCTION tasks_anchor_recurrence();

-- Reminders armed for an occurrence: a row per reminder and value of the due date (an
-- absolute reminder: per its time) that has not fired. Only the functions below touch it.
CREATE TABLE reminder_queue (
  task_id     bigint NOT NULL,
  list_id     bigint NOT NULL,
  reminder_id text NOT NULL,
  occurrence  timestamptz NOT NULL,
  fire_at     timestamptz NOT NULL,
  PRIMARY KEY (task_id, reminder_id, occurrence),
  FOREIGN KEY (task_id, list_id) REFERENCES tasks (id, list_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX reminder_queue_fire_at_idx ON reminder_queue (fire_at);
-- Each (task, reminder, occurrence) that fired, so that none fires twice, also when the due
-- date comes back to a value it had.
CREATE TABLE reminder_fired (
  task_id     bigint NOT NULL,
  list_id     bigint NOT NULL,
  reminder_id text NOT NULL,
  occurrence  timestamptz NOT NULL,
  fired_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, reminder_id, occurrence),
  FOREIGN KEY (task_id, list_id) REFERENCES tasks (id, list_id) ON DELETE CASCADE ON UPDATE CASCADE
);
REVOKE ALL ON reminder_queue, reminder_fired FROM todo_runtime;

-- When a reminder goes off: its time, or the due date less its duration, with days counted on
-- the calendar of the zone ("P1D" is the day before at the same local time, across a
-- daylight-saving change) and hours and minutes as elapsed time.
CREATE FUNCTION reminder_time(p_reminder jsonb, p_due timestamptz, p_zone text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_before interval;
  v_days interval;
BEGIN
  IF p_reminder ? 'at' THEN
    RETURN (p_reminder ->> 'at')::timestamptz;
  ELSIF p_due IS NULL THEN
    RETURN NULL;
  END IF;
  v_before := (p_reminder ->> 'before')::interval;
  v_days := make_interval(days => extract(day FROM v_before)::integer);
  RETURN ((p_due AT TIME ZONE p_zone) - v_days) AT TIME ZONE p_zone - (v_before - v_days);
END
$$;

-- Keeps a task's armed reminders in step with its reminders and due date. A reminder armed
-- for a time already past never fires; one removed is disarmed; a relative one follows the
-- due date (the old occurrence's is disarmed, the new one's armed); an absolute one is armed
-- once, when it is added.
CREATE FUNCTION tasks_arm_reminders() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_zone text;
  v_new jsonb := coalesce(NEW.reminders, '[]');
  v_old jsonb := CASE WHEN TG_OP = 'UPDATE' THEN coalesce(OLD.reminders, '[]') ELSE '[]' END;
  v_due_moved boolean := TG_OP = 'UPDATE' AND NEW.due_date IS DISTINCT FROM OLD.due_date;
BEGIN
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(v_new) r
              WHERE r ? 'before' AND NEW.due_date IS NULL) THEN
    RAISE EXCEPTION 'a reminder before the due date needs a due date' USING ERRCODE = 'TDRM1';
  END IF;
  DELETE FROM reminder_queue q
   WHERE q.task_id = NEW.id
     AND (NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_new) r
                       WHERE r ->> 'id' = q.reminder_id)
          OR (v_due_moved AND q.occurrence IS DISTINCT FROM NEW.due_date
              AND EXISTS (SELECT 1 FROM jsonb_array_elements(v_new) r
                           WHERE r ->> 'id' = q.reminder_id AND r ? 'before')));
  SELECT u.timezone INTO v_zone FROM users u WHERE u.id = NEW.user_id;
  INSERT INTO reminder_queue (task_id, list_id, reminder_id, occurrence, fire_at)
  SELECT NEW.id, NEW.list_id, a.id, a.occurrence, a.fire_at
    FROM (SELECT r ->> 'id' AS id,
                 CASE WHEN r ? 'at' THEN (r ->> 'at')::timestamptz ELSE NEW.due_date END AS occurrence,
                 reminder_time(r, NEW.due_date, v_zone) AS fire_at
            FROM jsonb_array_elements(v_new) r
           WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_old) o WHERE o ->> 'id' = r ->> 'id')
              OR (v_due_moved AND r ? 'before')) a
   WHERE a.fire_at > now()
     AND NOT EXISTS (SELECT 1 FROM reminder_fired f
                      WHERE f.task_id = NEW.id AND f.reminder_id = a.id AND f.occurrence = a.occurrence)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER tasks_arm_reminders_insert AFTER INSERT ON tasks
  FOR EACH ROW WHEN (NEW.reminders IS NOT NULL) EXECUTE FUNCTION tasks_arm_reminders();
-- On any update, not UPDATE OF: moving to the next occurrence changes the due date in a
-- trigger, which an UPDATE OF column list does not see.
CREATE TRIGGER tasks_arm_reminders_update AFTER UPDATE ON tasks
  FOR EACH ROW WHEN ((NEW.reminders IS NOT NULL OR OLD.reminders IS NOT NULL)
                     AND (NEW.reminders IS DISTINCT FROM OLD.reminders
                          OR NEW.due_date IS DISTINCT FROM OLD.due_date))
  EXECUTE FUNCTION tasks_arm_reminders();

-- What a reminder going off leaves for a person: the task's owner, and its assignee.
CREATE TABLE notifications (
  id          bigserial PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  task_id     bigint NOT NULL,
  list_id     bigint NOT NULL,
  reminder_id text NOT NULL,
  title       text NOT NULL,
  due_date    timestamptz,
  fire_at     timestamptz NOT NULL,
  fired_at    timestamptz NOT NULL,
  late        boolean NOT NULL,
  read_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  -- Email delivery, when the server sends email and the person wants it: when to try next
  -- (NULL: nothing to send), how often it was tried, when it went.
  email_due      timestamptz,
  email_attempts integer NOT NULL DEFAULT 0,
  emailed_at     timestamptz,
  FOREIGN KEY (task_id, list_id) REFERENCES tasks (id, list_id) ON DELETE CASCADE ON UPDATE CASCADE
);
-- A person's notifications, newest first; the unread ones alone.
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, id DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_task_idx ON notifications (task_id, list_id);
CREATE INDEX notifications_email_due_idx ON notifications (email_due) WHERE email_due IS NOT NULL;
-- Enabled, not forced: the firing and mailing functions below, SECURITY DEFINER, write and
-- read everyone's as the tables' owner; every other path is bound (and names its user).
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_own ON notifications
  USING (user_id = caller_id()) WITH CHECK (user_id = caller_id());
REVOKE INSERT, DELETE ON notifications FROM todo_runtime;

-- Fires at most p_limit due reminders, skipping those another process holds; returns how
-- many it took off the queue (fewer than p_limit: the queue is drained up to now). Each
-- becomes a notification for the task's owner and its assignee, unless the task is already
-- completed; with p_email, one the person wants by email is due for sending. Late: fired more
-- than a minute after its time (the server was down then).
CREATE FUNCTION reminders_fire(p_limit integer, p_email boolean) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_due reminder_queue;
  v_taken integer := 0;
  v_owner text;
  v_task tasks;
  v_fired_at timestamptz;
BEGIN
  FOR v_due IN
    DELETE FROM reminder_queue q
     USING (SELECT d.task_id, d.reminder_id, d.occurrence FROM reminder_queue d
             WHERE d.fire_at <= now()
             ORDER BY d.fire_at
             LIMIT p_limit
             FOR UPDATE SKIP LOCKED) d
     WHERE q.task_id = d.task_id AND q.reminder_id = d.reminder_id AND q.occurrence = d.occurrence
    RETURNING q.*
  LOOP
    v_taken := v_taken + 1;
    v_fired_at := clock_timestamp();
    INSERT INTO reminder_fired (task_id, list_id, reminder_id, occurrence, fired_at)
    VALUES (v_due.task_id, v_due.list_id, v_due.reminder_id, v_due.occurrence, v_fired_at)
    ON CONFLICT DO NOTHING;
    CONTINUE WHEN NOT FOUND;
    -- Row-level security binds even this function's owner on tasks: read the task as its
    -- list's owner (list_members is not forced, so the owner reads it here).
    SELECT m.user_id INTO v_owner FROM list_members m
     WHERE m.list_id = v_due.list_id AND m.role = 'owner';
    PERFORM set_config('app.user_id', v_owner, true);
    SELECT * INTO v_task FROM tasks t WHERE t.id = v_due.task_id;
    CONTINUE WHEN NOT FOUND OR v_task.status = 'completed';
    INSERT INTO notifications (user_id, task_id, list_id, reminder_id, title, due_date, fire_at,
                               fired_at, created_at, late, email_due)
    SELECT u.id, v_task.id, v_task.list_id, v_due.reminder_id, v_task.title, v_task.due_date,
           v_due.fire_at, date_trunc('milliseconds', v_fired_at),
           date_trunc('milliseconds', v_fired_at),
           v_fired_at > v_due.fire_at + interval '1 minute',
           CASE WHEN p_email AND u.email_reminders THEN v_fired_at END
      FROM users u
     WHERE u.id = v_task.user_id OR u.id = v_task.assignee_id;
  END LOOP;
  PERFORM set_config('app.user_id', '', true);
  RETURN v_taken;
END
$$;

-- The task functions learn the new fields, and completing a recurring task.
DROP FUNCTION task_toggle(text, bigint, integer);
DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz, boolean, bigint, boolean, bigint,
  boolean, text);
DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text,
  integer, bigint, bigint, text);

CREATE FUNCTION task_toggle(p_user_id text, p_id bigint, p_expected_version integer,
  p_occurrence timestamptz, p_next_due timestamptz)
RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_occurrence IS NOT NULL THEN
    PERFORM task_set_advance(p_id, p_occurrence, p_next_due);
  END IF;
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
  p_set_assignee boolean, p_assignee_id text,
  p_set_recurrence boolean, p_recurrence text,
  p_set_recurrence_mode boolean, p_recurrence_mode text,
  p_set_reminders boolean, p_reminders jsonb,
  p_occurrence timestamptz, p_next_due timestamptz
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
  IF p_occurrence IS NOT NULL THEN
    PERFORM task_set_advance(p_id, p_occurrence, p_next_due);
  END IF;
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
    assignee_id = CASE WHEN p_set_assignee THEN p_assignee_id ELSE assignee_id END,
    recurrence  = CASE WHEN p_set_recurrence THEN p_recurrence ELSE recurrence END,
    recurrence_mode = CASE WHEN p_set_recurrence_mode THEN nullif(p_recurrence_mode, 'fixed')
                      ELSE recurrence_mode END,
    reminders   = CASE WHEN p_set_reminders THEN nullif(p_reminders, '[]') ELSE reminders END
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
  p_max_tasks integer, p_list_id bigint, p_parent_id bigint, p_assignee_id text,
  p_recurrence text, p_recurrence_mode text, p_reminders jsonb
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
                     tags, due_date, list_id, parent_id, position, recurrence, recurrence_mode,
                     reminders)
  VALUES (v_owner, p_user_id, p_assignee_id, p_title, p_description,
          coalesce(p_status, 'pending'), coalesce(p_priority, 0), coalesce(p_tags, '{}'),
          p_due_date, v_list, v_parent, v_position, p_recurrence,
          nullif(p_recurrence_mode, 'fixed'), nullif(p_reminders, '[]'))
  RETURNING * INTO v_task;

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response = to_jsonb(v_task)
     WHERE user_id = p_user_id AND key = p_idempotency_key;
  END IF;
  RETURN NEXT v_task;
END
$$;

-- Moves a recurring task to its next occurrence without completing this one. Like a
-- completion, it needs the server's answer (TDRC1 until it has it); not recurring: TDNR1
-- (422), no occurrence left: TDNX1 (409).
CREATE FUNCTION task_skip(
  p_user_id text, p_id bigint, p_expected_version integer,
  p_occurrence timestamptz, p_next_due timestamptz
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_task tasks;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  SELECT * INTO v_task FROM tasks t
   WHERE t.id = p_id AND (p_expected_version IS NULL OR t.version = p_expected_version)
     AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id
              AND m.role <> 'viewer'))
  FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  ELSIF v_task.recurrence IS NULL THEN
    RAISE EXCEPTION 'the task does not repeat' USING ERRCODE = 'TDNR1';
  ELSIF v_task.status = 'completed' THEN
    -- Its series ended with its last completion.
    RAISE EXCEPTION 'no occurrence is left' USING ERRCODE = 'TDNX1';
  ELSIF p_occurrence IS NULL THEN
    RAISE EXCEPTION 'a recurring task needs its next occurrence' USING ERRCODE = 'TDRC1',
      DETAIL = task_recurrence_detail(v_task);
  ELSIF p_occurrence <> v_task.due_date THEN
    RAISE EXCEPTION 'that occurrence is already past' USING ERRCODE = 'TDRC2';
  ELSIF p_next_due IS NULL THEN
    RAISE EXCEPTION 'no occurrence is left' USING ERRCODE = 'TDNX1';
  END IF;
  UPDATE tasks t SET due_date = p_next_due, occurrence = coalesce(t.occurrence, 1) + 1,
                     status = 'pending'
   WHERE t.id = p_id
  RETURNING * INTO v_task;
  RETURN NEXT v_task;
END
$$;

-- A task's completions, newest first, a page at a time (after p_after_id); TDN01 when the
-- caller cannot read the task.
CREATE FUNCTION task_completion_list(p_user_id text, p_task_id bigint, p_after_id bigint, p_limit integer)
RETURNS SETOF task_completions
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = p_task_id AND (t.user_id = p_user_id OR EXISTS (
                   SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id))) THEN
    RAISE EXCEPTION 'no such task' USING ERRCODE = 'TDN01';
  END IF;
  RETURN QUERY SELECT * FROM task_completions c
   WHERE c.task_id = p_task_id AND (p_after_id IS NULL OR c.id < p_after_id)
   ORDER BY c.id DESC
   LIMIT p_limit;
END
$$;

-- The caller's notifications, newest first (all, or the unread ones), after p_after_id.
CREATE FUNCTION notification_list(p_user_id text, p_unread boolean, p_after_id bigint, p_limit integer)
RETURNS SETOF notifications
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_unread THEN
    RETURN QUERY SELECT * FROM notifications n
     WHERE n.user_id = p_user_id AND n.read_at IS NULL AND (p_after_id IS NULL OR n.id < p_after_id)
     ORDER BY n.id DESC LIMIT p_limit;
  ELSE
    RETURN QUERY SELECT * FROM notifications n
     WHERE n.user_id = p_user_id AND (p_after_id IS NULL OR n.id < p_after_id)
     ORDER BY n.id DESC LIMIT p_limit;
  END IF;
END
$$;

-- Marks one of the caller's notifications read (again: no change); no row when it is not theirs.
CREATE FUNCTION notification_read(p_user_id text, p_id bigint) RETURNS SETOF notifications
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY UPDATE notifications n SET read_at = coalesce(n.read_at, date_trunc('milliseconds', now()))
   WHERE n.id = p_id AND n.user_id = p_user_id
  RETURNING n.*;
END
$$;

CREATE FUNCTION notification_read_all(p_user_id text) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_count integer;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  UPDATE notifications n SET read_at = date_trunc('milliseconds', now())
   WHERE n.user_id = p_user_id AND n.read_at IS NULL;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;

-- Email to send: takes at most p_limit due notifications for p_lease (another process will
-- not take them meanwhile; a process that dies mid-send leaves them to be tried again), with
-- what the message needs.
CREATE FUNCTION notification_email_claim(p_limit integer, p_lease interval)
RETURNS TABLE (id bigint, email text, name text, timezone text, task_id bigint, list_id bigint,
               title text, due_date timestamptz, fire_at timestamptz, late boolean,
               attempts integer)
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  WITH due AS (
    SELECT n.id FROM notifications n
     WHERE n.email_due <= now()
     ORDER BY n.email_due
     LIMIT p_limit
     FOR UPDATE SKIP LOCKED
  )
  UPDATE notifications n
     SET email_due = now() + p_lease, email_attempts = n.email_attempts + 1
    FROM due, users u
   WHERE n.id = due.id AND u.id = n.user_id
  RETURNING n.id, u.email, u.name, u.timezone, n.task_id, n.list_id, n.title, n.due_date,
            n.fire_at, n.late, n.email_attempts
$$;

-- After a try: sent (p_retry_at NULL and p_sent), to be tried again at p_retry_at, or given
-- up (both NULL, not sent).
CREATE FUNCTION notification_email_done(p_id bigint, p_sent boolean, p_retry_at timestamptz)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  UPDATE notifications
     SET email_due = CASE WHEN p_sent THEN NULL ELSE p_retry_at END,
         emailed_at = CASE WHEN p_sent THEN date_trunc('milliseconds', now()) END
   WHERE id = p_id
$$;

-- Changes the caller's name, time zone and email preference (each when its flag is set); a
-- zone PostgreSQL does not know is TDZ01 (422).
CREATE FUNCTION user_settings_update(
  p_user_id text,
  p_set_name boolean, p_name text,
  p_set_timezone boolean, p_timezone text,
  p_set_email_reminders boolean, p_email_reminders boolean
) RETURNS SETOF users
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_set_timezone AND NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = p_timezone) THEN
    RAISE EXCEPTION 'unknown time zone' USING ERRCODE = 'TDZ01';
  END IF;
  IF p_set_timezone THEN
    -- The owner's recurring tasks follow: their next occurrences are in the new zone.
    UPDATE tasks t SET recurrence_zone = p_timezone
     WHERE t.user_id = p_user_id AND t.recurrence IS NOT NULL
       AND t.recurrence_zone IS DISTINCT FROM p_timezone;
  END IF;
  RETURN QUERY UPDATE users u SET
    name = CASE WHEN p_set_name THEN p_name ELSE u.name END,
    timezone = CASE WHEN p_set_timezone THEN p_timezone ELSE u.timezone END,
    email_reminders = CASE WHEN p_set_email_reminders THEN p_email_reminders ELSE u.email_reminders END,
    updated_at = now()
   WHERE u.id = p_user_id
  RETURNING u.*;
END
$$;
