-- Tags: at most 10, each 1..32 characters, trimmed, lower-cased, no duplicates.
-- IMMUTABLE so that a CHECK constraint may call it.
CREATE FUNCTION task_tags_are_valid(tags text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_ndims(tags), 1) = 1
     AND cardinality(tags) <= 10
     AND NOT EXISTS (
       SELECT 1 FROM unnest(tags) AS t
        WHERE t IS NULL OR char_length(t) NOT BETWEEN 1 AND 32
           OR t <> lower(t) OR t <> btrim(t, E' \t\n\r\f\u000B\u00A0'))
     AND cardinality(tags) = (SELECT count(DISTINCT t) FROM unnest(tags) AS t)
$$;

CREATE TABLE tasks (
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- ALWAYS: clients cannot choose ids; the sequence never hands one out twice,
  -- not after a delete nor after a rolled-back insert.
  id           bigint GENERATED ALWAYS AS IDENTITY,
  title        text NOT NULL,
  description  text,
  status       text NOT NULL DEFAULT 'pending',
  completed    boolean GENERATED ALWAYS AS (status = 'completed') STORED,
  completed_at timestamptz,
  priority     smallint NOT NULL DEFAULT 0,
  tags         text[] NOT NULL DEFAULT '{}',
  due_date     timestamptz,
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- Every lookup is by owner and id; the owner's rows sit together, and the key starts
  -- with the distribution column for a sharded (Citus) deployment.
  CONSTRAINT tasks_pkey PRIMARY KEY (user_id, id),
  CONSTRAINT tasks_title_check CHECK (
    char_length(title) BETWEEN 1 AND 200 AND title = btrim(title, E' \t\n\r\f\u000B\u00A0')),
  CONSTRAINT tasks_description_check CHECK (char_length(description) <= 1000),
  CONSTRAINT tasks_status_check CHECK (status IN ('pending', 'in_progress', 'completed')),
  CONSTRAINT tasks_priority_check CHECK (priority BETWEEN 0 AND 3),
  CONSTRAINT tasks_tags_check CHECK (task_tags_are_valid(tags)),
  CONSTRAINT tasks_version_check CHECK (version >= 1)
);

-- Serves the list query's keyset order: WHERE user_id = $1 AND (created_at, id) < ($2, $3)
-- ORDER BY created_at DESC, id DESC LIMIT n reads n rows, not all of the user's.
-- created_at never changes, so toggles and edits stay HOT updates.
CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC);
-- Serves the tag filter: WHERE tags @> $tags.
CREATE INDEX tasks_tags_idx ON tasks USING gin (tags);

-- The database owns these columns whatever a statement says: completed_at follows status,
-- version counts updates (the ETag), updated_at is the time of the last update.
-- Times are kept to the millisecond, the precision of JSON clients: a keyset cursor built
-- from a returned time then names exactly the row it came from.
CREATE FUNCTION tasks_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.completed_at := CASE WHEN NEW.status = 'completed' THEN date_trunc('milliseconds', now()) END;
  NEW.due_date := date_trunc('milliseconds', NEW.due_date);
  NEW.version := 1;
  NEW.created_at := date_trunc('milliseconds', now());
  NEW.updated_at := NEW.created_at;
  RETURN NEW;
END
$$;

CREATE FUNCTION tasks_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER tasks_before_insert BEFORE INSERT ON tasks
  FOR EACH ROW EXECUTE FUNCTION tasks_before_insert();
CREATE TRIGGER tasks_before_update BEFORE UPDATE ON tasks
  FOR EACH ROW EXECUTE FUNCTION tasks_before_update();

-- Defence in depth: even a query that forgets `WHERE user_id` sees only the rows of the
-- user named by app.user_id, set per transaction by the API (never per session: sessions
-- are shared through PgBouncer). FORCE makes it hold for the table owner too.
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tasks_owner ON tasks
  USING (user_id = nullif(current_setting('app.user_id', true), ''))
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), ''));
