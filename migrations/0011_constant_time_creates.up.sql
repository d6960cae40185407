-- A create costs the same whether its owner holds ten tasks or a hundred thousand, and less
-- than it did at any size.
--
-- The cap on a user's tasks counted the user's tasks on every create: one index entry, and
-- one row visited for row-level security, per task held (a hundred thousand at the default
-- cap). The count is now kept, by statement triggers on tasks, in a table only they write.
--
-- The key after a list's last position came from position_between, whose PL/pgSQL (five
-- functions, each with its own search_path) costs about 60 µs in a transaction that calls it
-- once: PL/pgSQL prepares each expression it evaluates anew in every transaction. The
-- common case, a key without a fraction whose last digit can go up by one, is now a single
-- SQL expression that the planner inlines; every other key still goes through
-- position_between, and the two agree on every key (tested).

-- The key right after p_before (NULL: the first key, 'a0'), as position_between(p_before,
-- NULL) gives it. Its body is bound when it is created (RETURN, not a string), so it needs no
-- search_path of its own, which would keep the planner from inlining it.
CREATE FUNCTION position_after(p_before text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN p_before IS NULL THEN 'a0'
  -- A well-formed integer part alone (its head, a letter other than A, gives its length)
  -- whose last digit is not the greatest: that digit goes up by one.
  WHEN p_before COLLATE "C" ~ '^[B-Za-z][0-9A-Za-z]*$'
    AND length(p_before) = CASE WHEN ascii(p_before) >= ascii('a') THEN ascii(p_before) - ascii('a') + 2
                                ELSE ascii('Z') - ascii(p_before) + 2 END
    AND right(p_before, 1) <> 'z'
  THEN left(p_before, -1) || substr(
    '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', right(p_before, 1)) + 1,
    1)
  ELSE position_between(p_before, NULL)
END;

CREATE TABLE task_counts (
  user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  tasks integer NOT NULL CHECK (tasks >= 0)
);
INSERT INTO task_counts (user_id, tasks) SELECT user_id, count(*) FROM tasks GROUP BY user_id;

-- The runtime reads its caller's count and writes none: only the triggers below do, as the
-- owner of the table (who is not bound by the policy: row-level security is not forced here,
-- so that no write of the bookkeeping is hidden from it).
REVOKE INSERT, UPDATE, DELETE ON task_counts FROM todo_runtime;
ALTER TABLE task_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_counts_owner ON task_counts FOR SELECT
  USING (user_id = nullif(current_setting('app.user_id', true), ''));

-- One statement inserting tasks, however many and for whichever owners, adds to each owner's
-- count once. (A row trigger costs a single create about 30 µs less, but a statement that
-- inserts n tasks for one owner would update the same row n times in one transaction, each
-- update walking the chain of the row's earlier versions: quadratic.)
CREATE FUNCTION task_counts_add() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
  INSERT INTO task_counts AS c (user_id, tasks)
  SELECT user_id, count(*) FROM added_tasks GROUP BY user_id
  ON CONFLICT (user_id) DO UPDATE SET tasks = c.tasks + excluded.tasks;
  RETURN NULL;
END
$$;

-- Likewise for a statement deleting tasks (a list with its tasks, a task with its subtasks).
CREATE FUNCTION task_counts_remove() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
  UPDATE task_counts c SET tasks = c.tasks - gone.tasks
    FROM (SELECT user_id, count(*) AS tasks FROM removed_tasks GROUP BY user_id) AS gone
   WHERE c.user_id = gone.user_id;
  RETURN NULL;
END
$$;

-- A task handed to another owner (no route does this today) moves between their counts.
CREATE FUNCTION task_counts_move() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
  UPDATE task_counts SET tasks = tasks - 1 WHERE user_id = OLD.user_id;
  INSERT INTO task_counts AS c (user_id, tasks) VALUES (NEW.user_id, 1)
  ON CONFLICT (user_id) DO UPDATE SET tasks = c.tasks + 1;
  RETURN NULL;
END
$$;

CREATE FUNCTION task_counts_clear() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
  DELETE FROM task_counts;
  RETURN NULL;
END
$$;

CREATE TRIGGER tasks_count_added AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS added_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_add();
CREATE TRIGGER tasks_count_removed AFTER DELETE ON tasks
  REFERENCING OLD TABLE AS removed_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_remove();
CREATE TRIGGER tasks_count_moved AFTER UPDATE OF user_id ON tasks
  FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
  EXECUTE FUNCTION task_counts_move();
CREATE TRIGGER tasks_count_cleared AFTER TRUNCATE ON tasks
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_clear();

-- Creates a task. With an idempotency key: the first request with that key creates the
-- task and stores it as its response; a retry with the same fingerprint gets that stored
-- response back and creates nothing; another fingerprint raises TDK01. Concurrent retries
-- wait on the key's row lock, so exactly one of them creates.
-- A user holds at most p_max_tasks tasks (NULL: no cap): one more raises TDL01. The creates
-- of one user take turns on a transaction-level advisory lock from reading their count to
-- the commit, so concurrent creates cannot overshoot the cap. A retry that replays a stored
-- response creates nothing and is answered even at the cap.
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
