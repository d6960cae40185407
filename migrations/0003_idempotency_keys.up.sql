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
-- Serves the hourly purge: DELETE ... WHERE created_at < now() - interval '24 hours'.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_owner ON idempotency_keys
  USING (user_id = nullif(current_setting('app.user_id', true), ''))
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), ''));
-- Expired keys belong to nobody: the purge may delete them without a user context.
CREATE POLICY idempotency_keys_purge ON idempotency_keys FOR DELETE
  USING (created_at < now() - interval '24 hours');
