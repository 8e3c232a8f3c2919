-- API keys for the GPT editor's "API key / Bearer" mode: static secrets an operator creates with
-- `gpt-adapter-admin key create`, each bound to one application and a subset of its scopes.
-- Only the SHA-256 of a key is stored (keys are 256-bit random tokens, so a fast unsalted digest
-- is safe and lets a presented key be found by its hash); key_prefix keeps the first characters
-- so operators can tell keys apart in listings.
--
-- No row-level security here, unlike the per-application tables: the API looks a key up by its
-- hash BEFORE it knows which application the caller is (the key is what tells it), so a policy
-- on app.application_id would hide every row from that lookup. What protects the rows instead:
-- a hash is only ever matched exactly (no listing by the runtime role's queries), reaching a row
-- needs the 256-bit key itself, and the runtime role may read keys and stamp last_used_at but
-- can neither create, change nor un-revoke one (the admin CLI does that as the schema owner).
CREATE TABLE custom_gpt_api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES custom_gpt_applications (id) ON DELETE CASCADE,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  key_prefix text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX custom_gpt_api_keys_application_idx ON custom_gpt_api_keys (application_id, created_at);

GRANT SELECT ON custom_gpt_api_keys TO gpt_adapter_runtime;
GRANT UPDATE (last_used_at) ON custom_gpt_api_keys TO gpt_adapter_runtime;
