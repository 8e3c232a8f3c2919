-- Reverts 0002_end_users.
ALTER TABLE custom_gpt_sessions
  DROP COLUMN IF EXISTS token_version,
  DROP COLUMN IF EXISTS access_token_expires_at,
  DROP COLUMN IF EXISTS access_token_id;
DROP TABLE IF EXISTS custom_gpt_end_users;
