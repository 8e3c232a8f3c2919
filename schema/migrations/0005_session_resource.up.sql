-- The resource (RFC 8707) a refresh-token family was granted for, so that its access tokens keep
-- the audience of the sign-in: '' for the Actions API (every family before this migration), the
-- MCP endpoint's URI for MCP clients.
ALTER TABLE custom_gpt_sessions ADD COLUMN resource text NOT NULL DEFAULT '';
