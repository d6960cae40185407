-- POST /api/tasks with an Idempotency-Key: the key, the fingerprint of the request it
-- came with, and the response it got, kept for 24 hours.
CREATE TABLE idempotency_keys (
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key         text NOT NULL CONSTRAINT idempotency_keys_key_check CHECK (char_length(key) BETWEEN 1 AND 255),
  fingerprint text NOT NULL,
  response    jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- Serves the lookup of a user's key on every keyed POST.
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key)
);
-- Serves the hourly purge of a role that bypasses RLS (idempotency_keys_purge below).
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_owner ON idempotency_keys
  USING (user_id = nullif(current_setting('app.user_id', true), ''))
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), ''));
-- Expired keys belong to nobody: the purge may delete them without a user context.
CREATE POLICY idempotency_keys_purge ON idempotency_keys FOR DELETE
  USING (created_at < now() - interval '24 hours');

-- Deletes the keys older than 24 hours; returns how many. Under RLS the DELETE may name no
-- column (a WHERE or RETURNING would bring in the owner policy and hide every row), and the
-- purge policy above limits it to expired keys. A role that bypasses RLS needs the WHERE.
CREATE FUNCTION idempotency_keys_purge() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_deleted bigint;
BEGIN
  IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours';
  ELSE
    PERFORM set_config('app.user_id', '', true);
    DELETE FROM idempotency_keys;
  END IF;
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END
$$;
