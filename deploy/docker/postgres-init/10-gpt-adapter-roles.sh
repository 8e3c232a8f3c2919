#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data directory: creates the schema
# owner (used only by migrations) and the runtime role the API and worker connect as, so the
# services never run as a superuser or as the owner of the tables.
set -euo pipefail

psql --set ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
  --set owner_password="$GPT_ADAPTER_OWNER_PASSWORD" \
  --set app_password="$GPT_ADAPTER_APP_PASSWORD" <<'SQL'
CREATE ROLE gpt_adapter_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE gpt_adapter_app LOGIN PASSWORD :'app_password';
CREATE DATABASE gpt_adapter OWNER gpt_adapter_owner;
\connect gpt_adapter
REVOKE ALL ON DATABASE gpt_adapter FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE gpt_adapter TO gpt_adapter_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO gpt_adapter_owner;
GRANT USAGE ON SCHEMA public TO gpt_adapter_app;
-- Tables and sequences the migrations create are usable, not alterable, by the runtime role.
ALTER DEFAULT PRIVILEGES FOR ROLE gpt_adapter_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gpt_adapter_app;
ALTER DEFAULT PRIVILEGES FOR ROLE gpt_adapter_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO gpt_adapter_app;
SQL
