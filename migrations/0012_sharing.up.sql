-- Sharing. A list's owner lets others in through invitation links, each with a role:
--
--   viewer  reads the list, its tasks and its members;
--   editor  also creates, changes, completes, moves and deletes its tasks;
--   admin   also renames and recolours the list, invites viewers and editors, changes them
--           between viewer and editor, and removes them;
--   owner   also invites, promotes, demotes and removes admins, and deletes the list.
--
-- Row-level security says all of it, for reading and for writing, on lists, tasks, members
-- and invitations: a statement that names no user at all still reads and changes only what
-- its caller's role allows. The functions below check the same rules first only to tell the
-- caller why (403 for a member without the right, 404 for everyone else).
--
-- A task keeps its list owner's id in user_id: the owner's index serves the owner's pages,
-- and it is the key a sharded PostgreSQL distributes tasks by (docs/SCALING.md).

-- The caller, as the API sets it for each transaction. Bound at creation (no search_path of
-- its own), so the planner inlines it: a policy that calls it costs what the expression does.
CREATE FUNCTION caller_id() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('app.user_id', true), '');

-- Roles in the order of their rights.
CREATE FUNCTION role_rank(p_role text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN array_position(ARRAY['viewer', 'editor', 'admin', 'owner'], p_role);

-- Everyone with access to a list has a row here, the owner included (role 'owner', made with
-- the list), so that "the lists I can read" is one range of one index, and an assignee can be
-- checked by a foreign key.
CREATE TABLE list_members (
  list_id   bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  user_id   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role      text NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (list_id, user_id),
  CONSTRAINT list_members_role_check CHECK (role IN ('viewer', 'editor', 'admin', 'owner'))
);
-- The caller's memberships, with the role, read by every policy below without the table.
CREATE INDEX list_members_user_idx ON list_members (user_id, list_id) INCLUDE (role);
CREATE UNIQUE INDEX list_members_one_owner_key ON list_members (list_id) WHERE role = 'owner';

-- The migration reads every list (row-level security is forced on lists for their owner).
ALTER TABLE lists NO FORCE ROW LEVEL SECURITY;
INSERT INTO list_members (list_id, user_id, role, joined_at)
SELECT id, owner_id, 'owner', created_at FROM lists;
ALTER TABLE lists FORCE ROW LEVEL SECURITY;

-- A new list's owner becomes its first member, whoever inserts the list.
CREATE FUNCTION lists_add_owner() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
  INSERT INTO list_members (list_id, user_id, role, joined_at)
  VALUES (NEW.id, NEW.owner_id, 'owner', NEW.created_at);
  RETURN NULL;
END
$$;
CREATE TRIGGER lists_add_owner AFTER INSERT ON lists
  FOR EACH ROW EXECUTE FUNCTION lists_add_owner();

-- The caller's role in a list, or NULL. The policies on members and invitations need it for
-- rows that are not the caller's own; reading members in a policy on members would recurse,
-- so this one function reads them as their owner, whom row-level security does not bind
-- here (it is enabled, not forced, on the two tables).
CREATE FUNCTION caller_list_role(p_list_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  SELECT m.role FROM list_members m WHERE m.list_id = p_list_id AND m.user_id = caller_id()
$$;

-- Whether the caller may manage a member or an invitation with this role in this list: the
-- owner any (but the owner), an admin viewers and editors.
CREATE FUNCTION caller_manages(p_list_id bigint, p_role text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  SELECT p_role <> 'owner' AND coalesce(
    (SELECT m.role = 'owner' OR (m.role = 'admin' AND p_role IN ('viewer', 'editor'))
       FROM list_members m WHERE m.list_id = p_list_id AND m.user_id = caller_id()),
    false)
$$;

ALTER TABLE list_members ENABLE ROW LEVEL SECURITY;
-- Nobody joins by writing a row: only accepting an invitation adds one (invitation_accept).
REVOKE INSERT ON list_members FROM todo_runtime;
CREATE POLICY list_members_read ON list_members FOR SELECT
  USING (user_id = caller_id() OR caller_list_role(list_id) IS NOT NULL);
CREATE POLICY list_members_change ON list_members FOR UPDATE
  USING (caller_manages(list_id, role))
  WITH CHECK (caller_manages(list_id, role));
-- Anyone but the owner may leave.
CREATE POLICY list_members_remove ON list_members FOR DELETE
  USING (role <> 'owner' AND (user_id = caller_id() OR caller_manages(list_id, role)));

-- Lists: members read them, admins change them, only the owner makes and deletes them.
DROP POLICY lists_owner ON lists;
CREATE POLICY lists_read ON lists FOR SELECT
  USING (owner_id = caller_id()
         OR id IN (SELECT m.list_id FROM list_members m WHERE m.user_id = caller_id()));
CREATE POLICY lists_create ON lists FOR INSERT
  WITH CHECK (owner_id = caller_id());
CREATE POLICY lists_change ON lists FOR UPDATE
  USING (owner_id = caller_id()
         OR id IN (SELECT m.list_id FROM list_members m
                    WHERE m.user_id = caller_id() AND m.role = 'admin'))
  WITH CHECK (owner_id = caller_id()
              OR id IN (SELECT m.list_id FROM list_members m
                         WHERE m.user_id = caller_id() AND m.role = 'admin'));
CREATE POLICY lists_remove ON lists FOR DELETE
  USING (owner_id = caller_id());

-- Tasks: members read them, editors and above write them. The owner's own branch comes
-- first and decides most rows; the memberships are a hashed sub-plan, read once a statement.
ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tasks DISABLE TRIGGER tasks_before_update;
ALTER TABLE tasks
  ADD COLUMN created_by text DEFAULT caller_id(),
  ADD COLUMN assignee_id text;
UPDATE tasks SET created_by = user_id;
ALTER TABLE tasks ENABLE TRIGGER tasks_before_update;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
ALTER TABLE tasks
  -- The creator's account may go; the task stays, by nobody.
  ADD CONSTRAINT tasks_created_by_fkey FOREIGN KEY (created_by)
    REFERENCES users (id) ON DELETE SET NULL,
  -- An assignee is a member of the task's list (the owner included); leaving the list or
  -- being removed from it unassigns them.
  ADD CONSTRAINT tasks_assignee_fkey FOREIGN KEY (list_id, assignee_id)
    REFERENCES list_members (list_id, user_id) ON DELETE SET NULL (assignee_id);
CREATE INDEX tasks_created_by_idx ON tasks (created_by);
-- "Assigned to me", newest first; also what unassigning someone who leaves reads.
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id, created_at DESC, id DESC)
  WHERE assignee_id IS NOT NULL;

DROP POLICY tasks_owner ON tasks;
CREATE POLICY tasks_read ON tasks FOR SELECT
  USING (user_id = caller_id()
         OR list_id IN (SELECT m.list_id FROM list_members m WHERE m.user_id = caller_id()));
CREATE POLICY tasks_create ON tasks FOR INSERT
  WITH CHECK (user_id = caller_id()
              OR list_id IN (SELECT m.list_id FROM list_members m
                              WHERE m.user_id = caller_id() AND m.role <> 'viewer'));
CREATE POLICY tasks_change ON tasks FOR UPDATE
  USING (user_id = caller_id()
         OR list_id IN (SELECT m.list_id FROM list_members m
                         WHERE m.user_id = caller_id() AND m.role <> 'viewer'))
  WITH CHECK (user_id = caller_id()
              OR list_id IN (SELECT m.list_id FROM list_members m
                              WHERE m.user_id = caller_id() AND m.role <> 'viewer'));
CREATE POLICY tasks_remove ON tasks FOR DELETE
  USING (user_id = caller_id()
         OR list_id IN (SELECT m.list_id FROM list_members m
                         WHERE m.user_id = caller_id() AND m.role <> 'viewer'));

-- A task moved to another list becomes its new owner's (its subtree follows through the
-- parent's foreign key), and loses an assignee who cannot read the new list.
CREATE FUNCTION tasks_follow_list() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  SELECT l.owner_id INTO NEW.user_id FROM lists l WHERE l.id = NEW.list_id;
  IF NEW.assignee_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM list_members m WHERE m.list_id = NEW.list_id AND m.user_id = NEW.assignee_id
  ) THEN
    NEW.assignee_id := NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER tasks_follow_list BEFORE UPDATE OF list_id ON tasks
  FOR EACH ROW WHEN (NEW.list_id <> OLD.list_id) EXECUTE FUNCTION tasks_follow_list();

-- Who created a task does not change; only deleting that account clears it.
CREATE FUNCTION tasks_keep_creator() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  RAISE EXCEPTION 'a task keeps its creator' USING ERRCODE = 'TDI02';
END
$$;
CREATE TRIGGER tasks_keep_creator BEFORE UPDATE OF created_by ON tasks
  FOR EACH ROW WHEN (NEW.created_by IS NOT NULL AND NEW.created_by IS DISTINCT FROM OLD.created_by)
  EXECUTE FUNCTION tasks_keep_creator();

-- A member may create a task in the owner's list, within the owner's cap: read the counts of
-- the owners of the lists the caller is a member of (through the caller's memberships, so
-- that the sub-plan reads a few index entries, not every list).
DROP POLICY task_counts_owner ON task_counts;
CREATE POLICY task_counts_read ON task_counts FOR SELECT
  USING (user_id = caller_id()
         OR user_id IN (SELECT l.owner_id FROM list_members m JOIN lists l ON l.id = m.list_id
                         WHERE m.user_id = caller_id()));

-- Invitation links. The token is a secret the client shows once; only its SHA-256 digest
-- is kept, so the table leaks no working link.
CREATE TABLE list_invitations (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id    bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL,
  role       text NOT NULL,
  max_uses   integer NOT NULL DEFAULT 1,
  uses       integer NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  created_by text REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CONSTRAINT list_invitations_token_hash_key UNIQUE (token_hash),
  CONSTRAINT list_invitations_token_hash_check CHECK (octet_length(token_hash) = 32),
  CONSTRAINT list_invitations_role_check CHECK (role IN ('viewer', 'editor', 'admin')),
  CONSTRAINT list_invitations_max_uses_check CHECK (max_uses BETWEEN 1 AND 1000),
  CONSTRAINT list_invitations_uses_check CHECK (uses BETWEEN 0 AND max_uses)
);
CREATE INDEX list_invitations_list_idx ON list_invitations (list_id, created_at DESC);
CREATE INDEX list_invitations_created_by_idx ON list_invitations (created_by);

ALTER TABLE list_invitations ENABLE ROW LEVEL SECURITY;
-- Admins see, make and revoke links for viewers and editors; the owner any. A link is used
-- only through invitation_accept, so the runtime never changes one.
REVOKE UPDATE ON list_invitations FROM todo_runtime;
CREATE POLICY list_invitations_manage ON list_invitations
  USING (caller_manages(list_id, role))
  WITH CHECK (caller_manages(list_id, role));

-- The caller's role in a list, which must be at least p_least: TDN02 (404) when the caller
-- cannot read the list at all, TDR01 (403) when the role is too low.
CREATE FUNCTION list_require_role(p_user_id text, p_list_id bigint, p_least text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_role text;
BEGIN
  SELECT m.role INTO v_role FROM list_members m
   WHERE m.list_id = p_list_id AND m.user_id = p_user_id;
  IF v_role IS NULL THEN
    RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
  END IF;
  IF role_rank(v_role) < role_rank(p_least) THEN
    RAISE EXCEPTION 'the role % does not allow this', v_role USING ERRCODE = 'TDR01';
  END IF;
  RETURN v_role;
END
$$;

-- Lists as the API answers them gain the caller's role and the number of people with access.
ALTER TYPE list_summary ADD ATTRIBUTE role text, ADD ATTRIBUTE member_count bigint;

-- The caller's lists (p_id NULL) or one of them, own and shared: the Inbox first, then by
-- name. Both are one range of the caller's memberships.
CREATE OR REPLACE FUNCTION list_summaries(p_user_id text, p_id bigint) RETURNS SETOF list_summary
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY
  SELECT l.id, l.owner_id, l.name, l.color, l.inbox, l.version, l.created_at, l.updated_at,
         c.total, c.open, c.completed, c.overdue, m.role,
         (SELECT count(*) FROM list_members o WHERE o.list_id = l.id)
    FROM list_members m
    JOIN lists l ON l.id = m.list_id
    CROSS JOIN LATERAL (
      SELECT count(*) AS total,
             count(*) FILTER (WHERE NOT t.completed) AS open,
             count(*) FILTER (WHERE t.completed) AS completed,
             count(*) FILTER (WHERE NOT t.completed AND t.due_date < now()) AS overdue
        FROM tasks t WHERE t.list_id = l.id
    ) AS c
   WHERE m.user_id = p_user_id AND (p_id IS NULL OR m.list_id = p_id)
   ORDER BY l.inbox DESC, lower(l.name), l.name, l.id;
END
$$;

-- After a conditional write found no row of a list the caller may write: it exists, so it
-- was the version that did not match (TDV01, 412); otherwise it went meanwhile (404).
CREATE OR REPLACE FUNCTION list_refuse_stale_version(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF p_expected_version IS NOT NULL AND EXISTS (SELECT 1 FROM lists WHERE id = p_id) THEN
    RAISE EXCEPTION 'list version does not match' USING ERRCODE = 'TDV01';
  END IF;
END
$$;

-- Renames or recolours a list (admin and owner; the Inbox: TDI01, 409); If-Match as for tasks.
CREATE OR REPLACE FUNCTION list_update(
  p_user_id text, p_id bigint, p_expected_version integer,
  p_set_name boolean, p_name text, p_set_color boolean, p_color text
) RETURNS SETOF list_summary
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  PERFORM list_require_role(p_user_id, p_id, 'admin');
  IF EXISTS (SELECT 1 FROM lists WHERE id = p_id AND inbox) THEN
    RAISE EXCEPTION 'the Inbox cannot be changed' USING ERRCODE = 'TDI01';
  END IF;
  UPDATE lists SET
    name  = CASE WHEN p_set_name THEN p_name ELSE name END,
    color = CASE WHEN p_set_color THEN p_color ELSE color END
  WHERE id = p_id AND (p_expected_version IS NULL OR version = p_expected_version);
  IF NOT FOUND THEN
    PERFORM list_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM list_summaries(p_user_id, p_id);
END
$$;

-- Deletes a list and its tasks (the owner only; the Inbox: TDI01, 409); the id when deleted.
CREATE OR REPLACE FUNCTION list_delete(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  PERFORM list_require_role(p_user_id, p_id, 'owner');
  DELETE FROM lists WHERE id = p_id
    AND (p_expected_version IS NULL OR version = p_expected_version)
  RETURNING id INTO v_id;
  IF NOT FOUND THEN
    PERFORM list_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  RETURN NEXT v_id;
END
$$;

-- The tasks functions find a task by its id among those the caller may read (or write): the
-- caller's own, or one in a list they are a member of (with a role above viewer). Row-level
-- security says the same underneath, so that a statement which forgets it still cannot
-- reach another row; these conditions are what keeps a connection that row-level security
-- does not bind (a superuser: the embedded database, a local server) just as tight.

CREATE OR REPLACE FUNCTION task_get(p_user_id text, p_id bigint) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY SELECT * FROM tasks t WHERE t.id = p_id AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
END
$$;

-- After a write found no row: a task the caller cannot read is 404 (return); one they can
-- read but not write, TDR01 (403); otherwise it was the version that did not match (TDV01).
CREATE OR REPLACE FUNCTION task_refuse_stale_version(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_list bigint;
BEGIN
  SELECT t.list_id INTO v_list FROM tasks t WHERE t.id = p_id AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM list_require_role(p_user_id, v_list, 'editor');
  IF p_expected_version IS NOT NULL THEN
    RAISE EXCEPTION 'task version does not match' USING ERRCODE = 'TDV01';
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION task_toggle(p_user_id text, p_id bigint, p_expected_version integer)
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

CREATE OR REPLACE FUNCTION task_delete(p_user_id text, p_id bigint, p_expected_version integer)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  DELETE FROM tasks t
   WHERE t.id = p_id AND (p_expected_version IS NULL OR t.version = p_expected_version)
     AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id
              AND m.role <> 'viewer'))
  RETURNING t.id INTO v_id;
  IF FOUND THEN
    RETURN NEXT v_id;
  ELSE
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
  END IF;
END
$$;

-- Task counts for GET /api/me, over every list the caller can read: the caller's own tasks
-- (one range of the owner's index), then those of the lists shared with them.
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
    FROM (SELECT o.status, o.due_date FROM tasks o WHERE o.user_id = p_user_id
          UNION ALL
          SELECT s.status, s.due_date FROM list_members m JOIN tasks s ON s.list_id = m.list_id
           WHERE m.user_id = p_user_id AND m.role <> 'owner') AS t;
END
$$;

-- Where a task goes (see 0009): now into any list the caller may write, found by the ids
-- alone. A list the caller cannot read is TDN02 (404), one they only view TDR01 (403).
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
      SELECT * INTO v_sibling FROM tasks t WHERE t.id = v_sibling_id AND (t.user_id = p_user_id OR EXISTS (
             SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
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
      SELECT t.list_id INTO v_parent_list FROM tasks t WHERE t.id = p_parent_id AND (t.user_id = p_user_id OR EXISTS (
             SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
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
    -- The caller must be allowed to write where the task goes; then the lists involved take
    -- turns, in id order so that two moves between the same lists cannot deadlock (a
    -- transaction-level advisory lock: nothing written, released at the commit).
    PERFORM list_require_role(p_user_id, target_list, 'editor');
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
  SELECT * INTO v_current FROM tasks t WHERE t.id = p_id AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id));
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- Moving takes the right to write where the task is, as well as where it goes.
  PERFORM list_require_role(p_user_id, v_current.list_id, 'editor');
  v_place := task_placement(p_user_id, p_id, v_current.list_id, p_list_id,
                            p_parent_given OR p_list_id IS NOT NULL, p_parent_id,
                            p_before_id, p_after_id);
  UPDATE tasks t SET list_id = v_place.target_list, parent_id = v_place.target_parent,
                     position = v_place.target_position
   WHERE t.id = p_id AND (p_expected_version IS NULL OR t.version = p_expected_version)
     AND (t.user_id = p_user_id OR EXISTS (
           SELECT 1 FROM list_members m WHERE m.list_id = t.list_id AND m.user_id = p_user_id
              AND m.role <> 'viewer'))
  RETURNING * INTO v_task;
  IF NOT FOUND THEN
    PERFORM task_refuse_stale_version(p_user_id, p_id, p_expected_version);
    RETURN;
  END IF;
  RETURN NEXT v_task;
END
$$;

-- task_update gains the assignee.
DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz, boolean, bigint, boolean, bigint);

-- Changes the fields whose p_set_* flag is true. With p_expected_version, changes the task
-- only at that version: a mismatch raises TDV01 (412), a missing task returns no row (404).
-- A change of list or parent is a move to the end of the new siblings, in the same write.
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

-- task_create gains the assignee, and puts a task in any list the caller may write.
DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text,
  integer, bigint, bigint);

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
-- The task goes to p_list_id, or its parent's list, or the caller's Inbox, after its last
-- sibling, and belongs to that list's owner; the caller is its creator. An owner holds at
-- most p_max_tasks tasks (NULL: no cap): one more raises TDL01. The creates for one owner
-- take turns on a transaction-level advisory lock from reading the count to the commit (and
-- take it before the list's, as every create does), so concurrent creates cannot overshoot
-- the cap. A retry that replays a stored response creates nothing and is answered even at
-- the cap.
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

-- TDN02 (404) unless the caller can read the list: one entry of the members' key.
CREATE OR REPLACE FUNCTION task_list_refuse_unknown_list(p_user_id text, p_list_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = p_list_id AND m.user_id = p_user_id) THEN
    RAISE EXCEPTION 'no such list' USING ERRCODE = 'TDN02';
  END IF;
END
$$;

-- task_list gains "assigned to me", and reads the lists shared with the caller.
DROP FUNCTION task_list(text, text, boolean, integer, boolean, text, smallint, text[], text,
  timestamptz, timestamptz, bigint, timestamptz, smallint, text, bigint, bigint, boolean, text);

-- One page of the tasks the caller can read, in the order (sort key, id), starting strictly
-- after the cursor (p_after_id and the sort key's p_after_* value; for due_date, a NULL
-- p_after_time is an undated row). Undated rows come last in both orders. Filters are ANDed;
-- p_search is a case-insensitive substring of the title or the description; p_list_id one
-- list (TDN02 when the caller cannot read it, asked again only when the page is empty);
-- p_parent_id
-- the subtasks of one task, p_top_level only tasks without a parent; p_assigned_to_me only
-- tasks assigned to the caller. Sort 'position' (the manual order) needs p_list_id.
-- Without p_list_id, the page is the caller's own tasks (one range of the owner's index)
-- together with those of each list shared with them (one range of the list's index each).
-- The default pages (newest first, no filter) are static SQL, planned once per session; any
-- other combination is built from the fragments below and planned for its values.
CREATE FUNCTION task_list(
  p_user_id text, p_sort text, p_descending boolean, p_limit integer,
  p_completed boolean, p_status text, p_priority smallint, p_tags text[], p_search text,
  p_due_before timestamptz, p_due_after timestamptz,
  p_after_id bigint, p_after_time timestamptz, p_after_priority smallint, p_after_title text,
  p_list_id bigint, p_parent_id bigint, p_top_level boolean, p_after_position text,
  p_assigned_to_me boolean
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_key text;
  v_after text;
  v_cmp text := CASE WHEN p_descending THEN '<' ELSE '>' END;
  v_direction text := CASE WHEN p_descending THEN 'DESC' ELSE 'ASC' END;
  v_where text;
  v_pattern text;
  v_shared bigint[];
  v_unfiltered boolean := p_completed IS NULL AND p_status IS NULL AND p_priority IS NULL
    AND p_tags IS NULL AND p_search IS NULL AND p_due_before IS NULL AND p_due_after IS NULL
    AND p_parent_id IS NULL AND NOT coalesce(p_top_level, false)
    AND NOT coalesce(p_assigned_to_me, false);
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_sort = 'created_at' AND p_descending AND v_unfiltered THEN
    -- Everything, for someone nobody shares a list with (most people): their own range, as
    -- before lists were shared.
    IF p_list_id IS NULL AND NOT EXISTS (
      SELECT 1 FROM list_members m WHERE m.user_id = p_user_id AND m.role <> 'owner'
    ) THEN
      IF p_after_id IS NULL THEN
        RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
          ORDER BY created_at DESC, id DESC LIMIT p_limit;
      ELSE
        RETURN QUERY SELECT * FROM tasks
          WHERE user_id = p_user_id AND (created_at, id) < (p_after_time, p_after_id)
          ORDER BY created_at DESC, id DESC LIMIT p_limit;
      END IF;
    -- Everything, for a member of lists of others: the caller's own range merged with one
    -- range of each shared list (their tasks are their owners'), at most one page from each.
    ELSIF p_list_id IS NULL AND p_after_id IS NULL THEN
      RETURN QUERY SELECT page.* FROM (
          (SELECT * FROM tasks WHERE user_id = p_user_id
            ORDER BY created_at DESC, id DESC LIMIT p_limit)
          UNION ALL
          SELECT shared.* FROM list_members m
          CROSS JOIN LATERAL (
            SELECT * FROM tasks t WHERE t.list_id = m.list_id
             ORDER BY t.created_at DESC, t.id DESC LIMIT p_limit) AS shared
           WHERE m.user_id = p_user_id AND m.role <> 'owner'
        ) AS page
        ORDER BY page.created_at DESC, page.id DESC LIMIT p_limit;
    ELSIF p_list_id IS NULL THEN
      RETURN QUERY SELECT page.* FROM (
          (SELECT * FROM tasks
            WHERE user_id = p_user_id AND (created_at, id) < (p_after_time, p_after_id)
            ORDER BY created_at DESC, id DESC LIMIT p_limit)
          UNION ALL
          SELECT shared.* FROM list_members m
          CROSS JOIN LATERAL (
            SELECT * FROM tasks t
             WHERE t.list_id = m.list_id AND (t.created_at, t.id) < (p_after_time, p_after_id)
             ORDER BY t.created_at DESC, t.id DESC LIMIT p_limit) AS shared
           WHERE m.user_id = p_user_id AND m.role <> 'owner'
        ) AS page
        ORDER BY page.created_at DESC, page.id DESC LIMIT p_limit;
    -- One list's page, if the caller may read the list (a gate evaluated once): by the list
    -- alone, so that no cached plan can mix in the owner's index.
    ELSIF p_after_id IS NULL THEN
      RETURN QUERY SELECT * FROM tasks WHERE list_id = p_list_id
        AND EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = p_list_id AND m.user_id = p_user_id)
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    ELSE
      RETURN QUERY SELECT * FROM tasks
        WHERE list_id = p_list_id AND (created_at, id) < (p_after_time, p_after_id)
        AND EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = p_list_id AND m.user_id = p_user_id)
        ORDER BY created_at DESC, id DESC LIMIT p_limit;
    END IF;
    -- An empty page of a list: empty, or not the caller's to read (404)?
    IF NOT FOUND AND p_list_id IS NOT NULL THEN
      PERFORM task_list_refuse_unknown_list(p_user_id, p_list_id);
    END IF;
    RETURN;
  END IF;

  IF p_list_id IS NULL THEN
    SELECT array_agg(m.list_id) INTO v_shared FROM list_members m
     WHERE m.user_id = p_user_id AND m.role <> 'owner';
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

  v_where := CASE
    WHEN p_list_id IS NOT NULL THEN 'list_id = $14 AND EXISTS (SELECT 1 FROM list_members m'
      || ' WHERE m.list_id = $14 AND m.user_id = $1)'
    WHEN v_shared IS NULL THEN 'user_id = $1'
    ELSE '(user_id = $1 OR list_id = ANY ($18))'
  END;
  IF p_assigned_to_me THEN v_where := v_where || ' AND assignee_id = $1'; END IF;
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
          p_list_id, p_parent_id, p_top_level, p_after_position, v_shared;
  ELSE
    RETURN QUERY EXECUTE format(
      'SELECT * FROM tasks WHERE %s ORDER BY %I %s%s, id %s LIMIT $2',
      v_where, v_key, v_direction, CASE WHEN p_sort = 'due_date' THEN ' NULLS LAST' ELSE '' END,
      v_direction)
    USING p_user_id, p_limit, p_completed, p_status, p_priority, p_tags, v_pattern,
          p_due_before, p_due_after, p_after_id, p_after_time, p_after_priority, p_after_title,
          p_list_id, p_parent_id, p_top_level, p_after_position, v_shared;
  END IF;
  IF NOT FOUND AND p_list_id IS NOT NULL THEN
    PERFORM task_list_refuse_unknown_list(p_user_id, p_list_id);
  END IF;
END
$$;

-- The export reads the caller's own tasks (p_list_id NULL) or one list's that the caller can
-- read, batch by batch, oldest first.
DROP FUNCTION task_export_batch(text, timestamptz, bigint, integer);
CREATE FUNCTION task_export_batch(
  p_user_id text, p_list_id bigint, p_after_created_at timestamptz, p_after_id bigint,
  p_limit integer
) RETURNS SETOF tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  IF p_list_id IS NULL AND p_after_id IS NULL THEN
    RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
      ORDER BY created_at, id LIMIT p_limit;
    RETURN;
  ELSIF p_list_id IS NULL THEN
    RETURN QUERY SELECT * FROM tasks WHERE user_id = p_user_id
      AND (created_at, id) > (p_after_created_at, p_after_id)
      ORDER BY created_at, id LIMIT p_limit;
    RETURN;
  END IF;
  PERFORM task_list_refuse_unknown_list(p_user_id, p_list_id);
  IF p_after_id IS NULL THEN
    RETURN QUERY SELECT * FROM tasks WHERE list_id = p_list_id
      ORDER BY created_at, id LIMIT p_limit;
  ELSE
    RETURN QUERY SELECT * FROM tasks WHERE list_id = p_list_id
      AND (created_at, id) > (p_after_created_at, p_after_id)
      ORDER BY created_at, id LIMIT p_limit;
  END IF;
END
$$;

-- Members. Anyone who can read a list reads its members (no emails: names only).
CREATE TYPE list_member AS (user_id text, name text, role text, joined_at timestamptz);

CREATE FUNCTION member_list(p_user_id text, p_list_id bigint) RETURNS SETOF list_member
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  PERFORM list_require_role(p_user_id, p_list_id, 'viewer');
  RETURN QUERY
  SELECT m.user_id, u.name, m.role, m.joined_at
    FROM list_members m JOIN users u ON u.id = m.user_id
   WHERE m.list_id = p_list_id
   ORDER BY role_rank(m.role) DESC, lower(u.name), m.user_id;
END
$$;

-- The caller's right to manage a member with role p_theirs (or an invitation): TDR01 when it
-- is missing.
CREATE FUNCTION member_require_manager(p_mine text, p_theirs text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF NOT (p_theirs <> 'owner'
          AND (p_mine = 'owner' OR (p_mine = 'admin' AND p_theirs IN ('viewer', 'editor')))) THEN
    RAISE EXCEPTION 'the role % does not allow this', p_mine USING ERRCODE = 'TDR01';
  END IF;
END
$$;

-- Changes a member's role: TDN04 (404) for no such member, TDO02 (409) for the owner's own
-- row, TDR01 (403) when the caller may not manage that member or give that role.
CREATE FUNCTION member_update(p_user_id text, p_list_id bigint, p_member_id text, p_role text)
RETURNS SETOF list_member
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_mine text;
  v_theirs text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  v_mine := list_require_role(p_user_id, p_list_id, 'admin');
  SELECT m.role INTO v_theirs FROM list_members m
   WHERE m.list_id = p_list_id AND m.user_id = p_member_id;
  IF v_theirs IS NULL THEN
    RAISE EXCEPTION 'no such member' USING ERRCODE = 'TDN04';
  ELSIF v_theirs = 'owner' AND v_mine = 'owner' THEN
    RAISE EXCEPTION 'the owner stays the owner' USING ERRCODE = 'TDO02';
  END IF;
  PERFORM member_require_manager(v_mine, v_theirs);
  PERFORM member_require_manager(v_mine, p_role);
  UPDATE list_members SET role = p_role WHERE list_id = p_list_id AND user_id = p_member_id;
  RETURN QUERY
  SELECT m.user_id, u.name, m.role, m.joined_at
    FROM list_members m JOIN users u ON u.id = m.user_id
   WHERE m.list_id = p_list_id AND m.user_id = p_member_id;
END
$$;

-- Removes a member, or the caller leaves (p_member_id their own id; the owner cannot: TDO01).
-- Their assignments in the list go with them (the assignee's foreign key).
CREATE FUNCTION member_delete(p_user_id text, p_list_id bigint, p_member_id text)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_mine text;
  v_theirs text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  v_mine := list_require_role(p_user_id, p_list_id, 'viewer');
  IF p_member_id = p_user_id THEN
    IF v_mine = 'owner' THEN
      RAISE EXCEPTION 'the owner cannot leave' USING ERRCODE = 'TDO01';
    END IF;
  ELSE
    -- Only those who manage members may remove one: refused before anyone is looked up.
    PERFORM member_require_manager(v_mine, 'viewer');
    SELECT m.role INTO v_theirs FROM list_members m
     WHERE m.list_id = p_list_id AND m.user_id = p_member_id;
    IF v_theirs IS NULL THEN
      RAISE EXCEPTION 'no such member' USING ERRCODE = 'TDN04';
    END IF;
    PERFORM member_require_manager(v_mine, v_theirs);
  END IF;
  RETURN QUERY DELETE FROM list_members
   WHERE list_id = p_list_id AND user_id = p_member_id RETURNING user_id;
END
$$;

-- The lists others share with the caller, as the export lists them.
CREATE FUNCTION member_lists(p_user_id text)
RETURNS TABLE (list_id bigint, role text, joined_at timestamptz)
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  RETURN QUERY SELECT m.list_id, m.role, m.joined_at FROM list_members m
   WHERE m.user_id = p_user_id AND m.role <> 'owner' ORDER BY m.joined_at, m.list_id;
END
$$;

-- Invitations. Made by an admin (viewers and editors) or the owner (any role), never for the
-- Inbox (TDI01); p_token_hash is the SHA-256 digest of the token the client shows once.
CREATE FUNCTION invitation_create(
  p_user_id text, p_list_id bigint, p_role text, p_max_uses integer,
  p_expires_in_hours integer, p_token_hash bytea
) RETURNS SETOF list_invitations
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_mine text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  v_mine := list_require_role(p_user_id, p_list_id, 'admin');
  IF EXISTS (SELECT 1 FROM lists WHERE id = p_list_id AND inbox) THEN
    RAISE EXCEPTION 'the Inbox cannot be shared' USING ERRCODE = 'TDI01';
  END IF;
  PERFORM member_require_manager(v_mine, p_role);
  RETURN QUERY
  INSERT INTO list_invitations (list_id, token_hash, role, max_uses, expires_at, created_by)
  VALUES (p_list_id, p_token_hash, p_role, p_max_uses,
          date_trunc('milliseconds', now()) + make_interval(hours => p_expires_in_hours),
          p_user_id)
  RETURNING *;
END
$$;

-- The links of a list that still work, newest first (the caller sees those they manage).
CREATE FUNCTION invitation_list(p_user_id text, p_list_id bigint)
RETURNS SETOF list_invitations
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_mine text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  v_mine := list_require_role(p_user_id, p_list_id, 'admin');
  RETURN QUERY SELECT * FROM list_invitations i
   WHERE i.list_id = p_list_id AND i.uses < i.max_uses AND i.expires_at > now()
     AND (v_mine = 'owner' OR i.role <> 'admin')
   ORDER BY i.created_at DESC, i.id DESC;
END
$$;

-- Revokes a link: its id when there was one the caller manages.
CREATE FUNCTION invitation_delete(p_user_id text, p_list_id bigint, p_id bigint)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_mine text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  v_mine := list_require_role(p_user_id, p_list_id, 'admin');
  RETURN QUERY DELETE FROM list_invitations i
   WHERE i.list_id = p_list_id AND i.id = p_id AND (v_mine = 'owner' OR i.role <> 'admin')
  RETURNING i.id;
END
$$;

-- A link that still works, as its invitee sees it before accepting. The invitee can read
-- neither the link nor the list yet: this function reads them as their owner (SECURITY
-- DEFINER), and the list as the list's owner for row-level security, then gives back
-- nothing but the list's id and name, the role and the inviter's name.
CREATE FUNCTION invitation_preview(p_user_id text, p_token_hash bytea)
RETURNS TABLE (list_id bigint, list_name text, role text, invited_by text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_invitation list_invitations;
  v_owner text;
BEGIN
  SELECT * INTO v_invitation FROM list_invitations i
   WHERE i.token_hash = p_token_hash AND i.uses < i.max_uses AND i.expires_at > now();
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT m.user_id INTO v_owner FROM list_members m
   WHERE m.list_id = v_invitation.list_id AND m.role = 'owner';
  PERFORM set_config('app.user_id', v_owner, true);
  RETURN QUERY
  SELECT l.id, l.name, v_invitation.role, (SELECT u.name FROM users u WHERE u.id = v_invitation.created_by)
    FROM lists l WHERE l.id = v_invitation.list_id;
  PERFORM set_config('app.user_id', p_user_id, true);
END
$$;

-- Joins the list of a link that still works, with its role, and answers the list (nothing
-- when the link does not work). Accepting again, or as a member who already holds that role
-- or a higher one (the owner), changes nothing and uses nothing up; a lower role is raised.
-- Concurrent accepts of the last use wait on the link's row, so it is not used twice.
CREATE FUNCTION invitation_accept(p_user_id text, p_token_hash bytea)
RETURNS SETOF list_summary
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_invitation list_invitations;
  v_role text;
BEGIN
  PERFORM set_config('app.user_id', p_user_id, true);
  SELECT * INTO v_invitation FROM list_invitations i
   WHERE i.token_hash = p_token_hash AND i.uses < i.max_uses AND i.expires_at > now()
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT m.role INTO v_role FROM list_members m
   WHERE m.list_id = v_invitation.list_id AND m.user_id = p_user_id FOR UPDATE;
  IF v_role IS NULL THEN
    INSERT INTO list_members (list_id, user_id, role)
    VALUES (v_invitation.list_id, p_user_id, v_invitation.role);
  ELSIF role_rank(v_role) < role_rank(v_invitation.role) THEN
    UPDATE list_members SET role = v_invitation.role
     WHERE list_id = v_invitation.list_id AND user_id = p_user_id;
  END IF;
  IF v_role IS NULL OR role_rank(v_role) < role_rank(v_invitation.role) THEN
    UPDATE list_invitations SET uses = uses + 1 WHERE id = v_invitation.id;
  END IF;
  RETURN QUERY SELECT * FROM list_summaries(p_user_id, v_invitation.list_id);
END
$$;
