-- Lists and subtasks. Every user has exactly one Inbox, made with the account; every task
-- lives in a list of its owner's, optionally under a parent task of the same list, at a
-- position among its siblings (a fractional key: position_between of 0008).

CREATE TABLE lists (
  -- ALWAYS: clients cannot choose ids; the sequence never hands one out twice.
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       text NOT NULL,
  color      text,
  inbox      boolean NOT NULL DEFAULT false,
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT lists_name_check CHECK (
    char_length(name) BETWEEN 1 AND 100 AND name = btrim(name, E' \t\n\r\f\u000B\u00A0')),
  CONSTRAINT lists_color_check CHECK (color ~ '^#[0-9a-f]{6}$'),
  CONSTRAINT lists_version_check CHECK (version >= 1),
  -- What a task's (list_id, user_id) refers to: a task belongs to its list's owner.
  CONSTRAINT lists_id_owner_key UNIQUE (id, owner_id)
);
CREATE UNIQUE INDEX lists_one_inbox_per_owner ON lists (owner_id) WHERE inbox;
CREATE INDEX lists_owner_idx ON lists (owner_id);

-- Lists own their version, times and Inbox flag as tasks do; the Inbox keeps its name and
-- colour and is deleted only with its owner.
CREATE FUNCTION lists_before_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  NEW.version := 1;
  NEW.created_at := date_trunc('milliseconds', now());
  NEW.updated_at := NEW.created_at;
  RETURN NEW;
END
$$;

CREATE FUNCTION lists_before_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF NEW.owner_id <> OLD.owner_id OR NEW.inbox <> OLD.inbox THEN
    RAISE EXCEPTION 'a list keeps its owner and its kind' USING ERRCODE = 'TDI01';
  END IF;
  IF OLD.inbox AND (NEW.name <> OLD.name OR NEW.color IS DISTINCT FROM OLD.color) THEN
    RAISE EXCEPTION 'the Inbox cannot be renamed or recoloured' USING ERRCODE = 'TDI01';
  END IF;
  NEW.version := OLD.version + 1;
  NEW.created_at := OLD.created_at;
  NEW.updated_at := date_trunc('milliseconds', now());
  RETURN NEW;
END
$$;

CREATE FUNCTION lists_before_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  -- Deleting the account deletes its Inbox (the owner's row is gone by then); nothing else.
  IF OLD.inbox AND EXISTS (SELECT 1 FROM users WHERE id = OLD.owner_id) THEN
    RAISE EXCEPTION 'the Inbox cannot be deleted' USING ERRCODE = 'TDI01';
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER lists_before_insert BEFORE INSERT ON lists
  FOR EACH ROW EXECUTE FUNCTION lists_before_insert();
CREATE TRIGGER lists_before_update BEFORE UPDATE ON lists
  FOR EACH ROW EXECUTE FUNCTION lists_before_update();
CREATE TRIGGER lists_before_delete BEFORE DELETE ON lists
  FOR EACH ROW EXECUTE FUNCTION lists_before_delete();

-- A new account gets its Inbox in the same transaction as its row, whoever inserts it.
CREATE FUNCTION users_create_inbox() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_caller text := current_setting('app.user_id', true);
BEGIN
  -- Row-level security admits the owner's own rows: be the new user for this one insert.
  PERFORM set_config('app.user_id', NEW.id, true);
  INSERT INTO lists (owner_id, name, inbox) VALUES (NEW.id, 'Inbox', true);
  PERFORM set_config('app.user_id', coalesce(v_caller, ''), true);
  RETURN NULL;
END
$$;

CREATE TRIGGER users_create_inbox AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION users_create_inbox();

INSERT INTO lists (owner_id, name, inbox) SELECT id, 'Inbox', true FROM users;

-- Tasks: existing ones go to their owner's Inbox, numbered in the order they were made.
-- The migration sees every row (no app.user_id here) and changes no version or time.
ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tasks DISABLE TRIGGER tasks_before_update;
ALTER TABLE tasks
  ADD COLUMN list_id bigint,
  ADD COLUMN parent_id bigint,
  ADD COLUMN position text COLLATE "C",
  -- Direct subtasks, kept by triggers below so that a page of tasks costs no extra reads.
  ADD COLUMN subtasks_total integer NOT NULL DEFAULT 0,
  ADD COLUMN subtasks_completed integer NOT NULL DEFAULT 0;
UPDATE tasks t
   SET list_id = l.id, position = position_key(numbered.n)
  FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at, id) - 1 AS n
          FROM tasks) AS numbered,
       lists l
 WHERE numbered.id = t.id AND l.owner_id = t.user_id AND l.inbox;
-- Stored idempotent responses answer with the task as it is now; one whose task was
-- deleted since, with the place it would have had: the top of the Inbox.
ALTER TABLE idempotency_keys NO FORCE ROW LEVEL SECURITY;
UPDATE idempotency_keys k SET response = to_jsonb(t)
  FROM tasks t
 WHERE k.response IS NOT NULL AND t.user_id = k.user_id AND t.id = (k.response->>'id')::bigint;
UPDATE idempotency_keys k
   SET response = k.response || jsonb_build_object(
         'list_id', l.id, 'parent_id', NULL, 'position', position_key(0),
         'subtasks_total', 0, 'subtasks_completed', 0)
  FROM lists l
 WHERE k.response IS NOT NULL AND NOT k.response ? 'list_id'
   AND l.owner_id = k.user_id AND l.inbox;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE tasks ENABLE TRIGGER tasks_before_update;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;

-- Row-level security on lists once the migration has read them (FORCE binds the owner too).
ALTER TABLE lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE lists FORCE ROW LEVEL SECURITY;
CREATE POLICY lists_owner ON lists
  USING (owner_id = nullif(current_setting('app.user_id', true), ''))
  WITH CHECK (owner_id = nullif(current_setting('app.user_id', true), ''));


ALTER TABLE tasks
  ALTER COLUMN list_id SET NOT NULL,
  ALTER COLUMN position SET NOT NULL,
  ADD CONSTRAINT tasks_list_fkey FOREIGN KEY (list_id, user_id)
    REFERENCES lists (id, owner_id) ON DELETE CASCADE,
  ADD CONSTRAINT tasks_id_list_key UNIQUE (id, list_id),
  -- A subtask lives in its parent's list: moving a task to another list carries its
  -- subtree along, and deleting it deletes the subtree.
  ADD CONSTRAINT tasks_parent_fkey FOREIGN KEY (parent_id, list_id)
    REFERENCES tasks (id, list_id) ON DELETE CASCADE ON UPDATE CASCADE,
  ADD CONSTRAINT tasks_parent_check CHECK (parent_id <> id),
  ADD CONSTRAINT tasks_position_check CHECK (position ~ '^[0-9A-Za-z]{2,200}$'),
  ADD CONSTRAINT tasks_subtasks_check CHECK (
    subtasks_completed BETWEEN 0 AND subtasks_total);
-- Siblings never share a position, and a page in manual order is one range of one of these:
-- a list's top level, or one task's subtasks (which are always in its list). Each row is in
-- exactly one of them, so they cost a write what one index would.
CREATE UNIQUE INDEX tasks_top_level_position_key ON tasks (list_id, position)
  WHERE parent_id IS NULL;
CREATE UNIQUE INDEX tasks_subtask_position_key ON tasks (parent_id, position)
  WHERE parent_id IS NOT NULL;
-- A list's page in the default order reads one page of entries, as the owner's does.
CREATE INDEX tasks_list_created_idx ON tasks (list_id, created_at DESC, id DESC);

-- Nesting: a top-level task and at most four levels below it; never under itself. Tree
-- changes in one list take turns on the list's advisory lock (task_placement takes the same),
-- so two concurrent moves cannot build a cycle or a sixth level between them.
CREATE FUNCTION tasks_check_nesting() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_depth integer := 1;
  v_ancestor bigint := NEW.parent_id;
  v_height integer := 1;
BEGIN
  -- Called for subtasks only (the trigger's WHEN): nothing to check when the parent and
  -- list stay as they were.
  IF TG_OP = 'UPDATE' AND NEW.parent_id = OLD.parent_id AND NEW.list_id = OLD.list_id THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('task_tree'), (NEW.list_id % 2147483647)::integer);
  WHILE v_ancestor IS NOT NULL LOOP
    IF v_ancestor = NEW.id THEN
      RAISE EXCEPTION 'a task cannot be placed under itself' USING ERRCODE = 'TDC01';
    END IF;
    v_depth := v_depth + 1;
    IF v_depth > 5 THEN
      RAISE EXCEPTION 'subtasks nest at most five levels deep' USING ERRCODE = 'TDD01';
    END IF;
    SELECT parent_id INTO v_ancestor FROM tasks WHERE id = v_ancestor;
  END LOOP;
  IF TG_OP = 'UPDATE' THEN
    WITH RECURSIVE subtree (id, height) AS (
      SELECT NEW.id, 1
      UNION ALL
      SELECT t.id, s.height + 1 FROM tasks t JOIN subtree s ON t.parent_id = s.id
       WHERE t.list_id = OLD.list_id AND s.height < 6
    )
    SELECT max(height) INTO v_height FROM subtree;
  END IF;
  IF v_depth + v_height - 1 > 5 THEN
    RAISE EXCEPTION 'subtasks nest at most five levels deep' USING ERRCODE = 'TDD01';
  END IF;
  RETURN NEW;
END
$$;

-- WHEN: a top-level task (most of them) costs no call at all.
CREATE TRIGGER tasks_check_nesting BEFORE INSERT OR UPDATE OF parent_id, list_id ON tasks
  FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION tasks_check_nesting();

-- The database owns the subtask counts too: only this bookkeeping (a trigger's own
-- statement) changes them, and it changes neither the parent's version nor its time.
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
  NEW.subtasks_total := 0;
  NEW.subtasks_completed := 0;
  -- A row inserted without a place (not through task_create) gets one as the API would:
  -- its parent's list or its owner's Inbox, after its last sibling.
  IF NEW.list_id IS NULL AND NEW.parent_id IS NOT NULL THEN
    SELECT list_id INTO NEW.list_id FROM tasks WHERE id = NEW.parent_id;
  ELSIF NEW.list_id IS NULL THEN
    SELECT id INTO NEW.list_id FROM lists WHERE owner_id = NEW.user_id AND inbox;
    -- No Inbox to be seen: no such user, or row-level security hides it (and refuses the row).
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id) THEN
      RAISE EXCEPTION 'no user % to own the task', NEW.user_id USING ERRCODE = '23503';
    END IF;
  END IF;
  IF NEW.position IS NULL AND NEW.parent_id IS NULL THEN
    SELECT position_between(max(position), NULL) INTO NEW.position
      FROM tasks WHERE list_id = NEW.list_id AND parent_id IS NULL;
  ELSIF NEW.position IS NULL THEN
    SELECT position_between(max(position), NULL) INTO NEW.position
      FROM tasks WHERE list_id = NEW.list_id AND parent_id = NEW.parent_id;
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION tasks_before_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF pg_trigger_depth() = 1 THEN
    NEW.subtasks_total := OLD.subtasks_total;
    NEW.subtasks_completed := OLD.subtasks_completed;
  ELSIF (NEW.subtasks_total, NEW.subtasks_completed)
          IS DISTINCT FROM (OLD.subtasks_total, OLD.subtasks_completed)
    AND (NEW.title, NEW.description, NEW.status, NEW.priority, NEW.tags, NEW.due_date,
         NEW.list_id, NEW.parent_id, NEW.position)
          IS NOT DISTINCT FROM (OLD.title, OLD.description, OLD.status, OLD.priority,
                                OLD.tags, OLD.due_date, OLD.list_id, OLD.parent_id, OLD.position)
  THEN
    RETURN NEW;
  END IF;
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

CREATE FUNCTION tasks_count_subtasks() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id
    AND NEW.completed = OLD.completed THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.parent_id IS NOT NULL THEN
    UPDATE tasks SET subtasks_total = subtasks_total - 1,
                     subtasks_completed = subtasks_completed - OLD.completed::integer
     WHERE id = OLD.parent_id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.parent_id IS NOT NULL THEN
    UPDATE tasks SET subtasks_total = subtasks_total + 1,
                     subtasks_completed = subtasks_completed + NEW.completed::integer
     WHERE id = NEW.parent_id;
  END IF;
  RETURN NULL;
END
$$;

-- Only rows that are or were subtasks count; the WHEN clauses spare every other row the call.
CREATE TRIGGER tasks_count_subtasks_insert AFTER INSERT ON tasks
  FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION tasks_count_subtasks();
CREATE TRIGGER tasks_count_subtasks_delete AFTER DELETE ON tasks
  FOR EACH ROW WHEN (OLD.parent_id IS NOT NULL) EXECUTE FUNCTION tasks_count_subtasks();
CREATE TRIGGER tasks_count_subtasks_update AFTER UPDATE OF parent_id, status ON tasks
  FOR EACH ROW WHEN (OLD.parent_id IS NOT NULL OR NEW.parent_id IS NOT NULL)
  EXECUTE FUNCTION tasks_count_subtasks();

-- Completing a task completes its open subtasks, and theirs, in the same transaction.
-- Reopening reopens nothing.
CREATE FUNCTION tasks_complete_subtree() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  -- Called only when the task became completed and has subtasks (the trigger's WHEN).
  UPDATE tasks SET status = 'completed'
   WHERE list_id = NEW.list_id AND parent_id = NEW.id AND status <> 'completed';
  RETURN NULL;
END
$$;

CREATE TRIGGER tasks_complete_subtree AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (NEW.status = 'completed' AND OLD.status <> 'completed'
                     AND NEW.subtasks_total > 0)
  EXECUTE FUNCTION tasks_complete_subtree();

-- Where a task goes: its list, parent and position. Used by create, update and move.
-- p_task_id: the task being placed (NULL for a new one); p_list_id / p_parent_id: the
-- requested list and parent (p_parent_given says whether a parent, possibly NULL, was asked
-- for); p_before_id / p_after_id: the sibling to stand just before or after. Every id must be
-- the caller's: a task that is not raises TDN01 (404), a list TDN02 (404); a subtask in
-- another list than its parent TDM01 (422); a before/after task under another parent than
-- asked for TDS01 (422). The lists involved are locked until the commit, so positions are
-- computed from neighbours no one else is moving.
CREATE FUNCTION task_placement(
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

-- task_create gains the list and the parent; the old signature goes, so that no caller can
-- create a task outside a list.
DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text, integer);

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
-- A user holds at most p_max_tasks tasks (NULL: no cap): one more raises TDL01. The creates
-- of one user take turns on a transaction-level advisory lock from the count to the commit,
-- so concurrent creates cannot overshoot the cap. A retry that replays a stored response
-- creates nothing and is answered even at the cap.
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
  v_place record;
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

  v_place := task_placement(p_user_id, NULL, NULL, p_list_id, p_parent_id IS NOT NULL,
                            p_parent_id, NULL, NULL);
  INSERT INTO tasks (user_id, title, description, status, priority, tags, due_date,
                     list_id, parent_id, position)
  VALUES (p_user_id, p_title, p_description, coalesce(p_status, 'pending'),
          coalesce(p_priority, 0), coalesce(p_tags, '{}'), p_due_date,
          v_place.target_list, v_place.target_parent, v_place.target_position)
  RETURNING * INTO v_task;

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response = to_jsonb(v_task)
     WHERE user_id = p_user_id AND key = p_idempotency_key;
  END IF;
  RETURN NEXT v_task;
END
$$;

-- task_update gains the list and the parent: a change of either is a move to the end of the
-- new siblings, in the same write as the other fields.
DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz);

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
CREATE FUNCTION task_move(
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

-- One page of the caller's tasks in the order (sort key, id), starting strictly after the
-- cursor (p_after_id and the sort key's p_after_* value; for due_date, a NULL p_after_time
-- is an undated row). Undated rows come last in both orders. Filters are ANDed; p_search is
-- a case-insensitive substring of the title or the description; p_list_id one list (TDN02
-- when it is not the caller's); p_parent_id the subtasks of one task, p_top_level only
-- tasks without a parent. Sort 'position' (the manual order) needs p_list_id.
-- The default pages (newest first, no filter, or one list) are static SQL, planned once
-- per session; any other combination is built from the fragments below and planned for
-- its values.
DROP FUNCTION task_list(text, text, boolean, integer, boolean, text, smallint, text[], text,
  timestamptz, timestamptz, bigint, timestamptz, smallint, text);
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
  IF p_list_id IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM lists WHERE id = p_list_id AND owner_id = p_user_id) THEN
      RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
    END IF;
  END IF;
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
    RETURN;
  END IF;
  RETURN QUERY EXECUTE format(
    'SELECT * FROM tasks WHERE %s ORDER BY %I %s%s, id %s LIMIT $2',
    v_where, v_key, v_direction, CASE WHEN p_sort = 'due_date' THEN ' NULLS LAST' ELSE '' END,
    v_direction)
  USING p_user_id, p_limit, p_completed, p_status, p_priority, p_tags, v_pattern,
        p_due_before, p_due_after, p_after_id, p_after_time, p_after_priority, p_after_title,
        p_list_id, p_parent_id, p_top_level, p_after_position;
END
$$;

-- A list as the API answers it: with its task counts (open: pending or in progress;
-- overdue: open and due before now).
CREATE TYPE list_summary AS (
  id bigint, owner_id text, name text, color text, inbox boolean, version integer,
  created_at timestamptz, updated_at timestamptz,
  total bigint, open bigint, completed bigint, overdue bigint
);

-- The caller's lists (p_id NULL) or one of them: Inbox first, then by name.
CREATE FUNCTION list_summaries(p_user_id text, p_id bigint) RETURNS SETOF list_summary
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

CREATE FUNCTION list_create(p_user_id text, p_name text, p_color text)
RETURNS SETOF list_summary
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  INSERT INTO lists (owner_id, name, color) VALUES (p_user_id, p_name, p_color)
  RETURNING id INTO v_id;
  RETURN QUERY SELECT * FROM list_summaries(p_user_id, v_id);
END
$$;

-- After a conditional write found no row: if the list exists, it was the version that did
-- not match, so raise TDV01 (412); otherwise return, and the caller answers 404.
CREATE FUNCTION list_refuse_stale_version(p_user_id text, p_id bigint, p_expected_version integer)
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
CREATE FUNCTION list_update(
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
CREATE FUNCTION list_delete(p_user_id text, p_id bigint, p_expected_version integer)
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
