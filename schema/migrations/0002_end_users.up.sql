-- End users: the people who sign in on the authorization page so that a Custom GPT acts on
-- their behalf. Operators manage them with `gpt-adapter-admin user ...`; tokens from the code
-- flow carry the end user's id as `sub`. Passwords are stored only as PBKDF2 hashes.
CREATE TABLE custom_gpt_end_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 128),
  password_hash text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz
);

-- What a refresh token family needs beyond 0001: the access token issued with each refresh
-- token (so revoking the family also puts that token on the deny-list until it expires), and
-- the application's token version at issue (a secret reset or disabling invalidates refresh
-- tokens as it does access tokens).
ALTER TABLE custom_gpt_sessions
  ADD COLUMN access_token_id text,
  ADD COLUMN access_token_expires_at timestamptz,
  ADD COLUMN token_version integer NOT NULL DEFAULT 1;

-- The API reads end users to sign them in and records the last sign-in; only operators create,
-- disable or change them.
GRANT SELECT, UPDATE (last_sign_in_at) ON custom_gpt_end_users TO gpt_adapter_runtime;
