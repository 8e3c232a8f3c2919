-- Reverts 0005_session_resource. MCP families then refresh into Actions API tokens: revoke them
-- first (gpt-adapter-admin) when that matters.
ALTER TABLE custom_gpt_sessions DROP COLUMN resource;
