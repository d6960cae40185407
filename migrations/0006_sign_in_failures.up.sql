-- Failed sign-ins per account, shared by every instance. The key is an HMAC of the
-- lower-cased email (never the email), so an unknown email is counted like a known one.
-- Every attempt counts until it succeeds; a success deletes the row.
CREATE TABLE sign_in_failures (
  account_key     text PRIMARY KEY CONSTRAINT sign_in_failures_key_check CHECK (char_length(account_key) BETWEEN 1 AND 128),
  failures        integer NOT NULL CONSTRAINT sign_in_failures_failures_check CHECK (failures > 0),
  last_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Set once the free attempts are used up: no attempt is taken before this time.
  locked_until    timestamptz
);
