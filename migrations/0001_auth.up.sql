-- Better Auth's tables for email + password with the bearer and jwt plugins, named and
-- cased our way: src/db/auth-schema.ts maps its camelCase fields onto these columns.
CREATE TABLE users (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  email          text NOT NULL,
  email_verified boolean NOT NULL DEFAULT false,
  image          text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  -- Serves Better Auth's sign-in lookup `WHERE email = $1`.
  CONSTRAINT users_email_key UNIQUE (email)
);
-- Emails are unique whatever their case, whichever path inserts them.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE sessions (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Serves the session lookup by token on every cookie or bearer-token request.
  token       text NOT NULL CONSTRAINT sessions_token_key UNIQUE,
  expires_at  timestamptz NOT NULL,
  ip_address  text,
  user_agent  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves "revoke every session of a user" (sign-out everywhere, account deletion).
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE accounts (
  id                       text PRIMARY KEY,
  user_id                  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  account_id               text NOT NULL,
  provider_id              text NOT NULL,
  access_token             text,
  refresh_token            text,
  id_token                 text,
  access_token_expires_at  timestamptz,
  refresh_token_expires_at timestamptz,
  scope                    text,
  -- scrypt hash written by Better Auth; never selected by our own code.
  password                 text,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
-- Serves sign-in: Better Auth reads the credential account of the user it found by email.
CREATE INDEX accounts_user_id_idx ON accounts (user_id);

CREATE TABLE verifications (
  id          text PRIMARY KEY,
  identifier  text NOT NULL,
  value       text NOT NULL,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves the lookup of a verification or reset token by its identifier.
CREATE INDEX verifications_identifier_idx ON verifications (identifier);

-- Signing keys of the jwt plugin (EdDSA); the private key is encrypted by Better Auth.
CREATE TABLE jwks (
  id          text PRIMARY KEY,
  public_key  text NOT NULL,
  private_key text NOT NULL,
  alg         text,
  crv         text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz
);

-- Rate-limit counters, so every instance behind a load balancer shares one limit.
CREATE TABLE rate_limits (
  id           text PRIMARY KEY,
  -- Serves the counter lookup by client key on every auth request.
  key          text NOT NULL CONSTRAINT rate_limits_key_key UNIQUE,
  count        integer NOT NULL,
  last_request bigint NOT NULL
);
