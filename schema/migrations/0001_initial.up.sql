-- The adapter's own database: the Custom GPT applications allowed to call it, their refresh-token
-- families, the audit trail and the status of queued jobs. Rows that belong to one application
-- are isolated by row-level security on app.application_id, which the services set per
-- transaction: SELECT set_config('app.application_id', $1, true).

CREATE TABLE custom_gpt_applications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  client_id text NOT NULL UNIQUE,
  client_secret_hash text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  rate_limit_per_minute integer NOT NULL DEFAULT 100 CHECK (rate_limit_per_minute > 0),
  redirect_uris text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- Raised to invalidate every token issued before (tokens carry the version they were minted at).
  token_version integer NOT NULL DEFAULT 1,
  issue_refresh_for_client_credentials boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

-- One row per refresh token. Rotation links a token to its parent within a family; presenting a
-- token that was already used revokes the whole family.
CREATE TABLE custom_gpt_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL REFERENCES custom_gpt_applications (id) ON DELETE CASCADE,
  end_user_id text,
  family_id uuid NOT NULL,
  parent_id uuid REFERENCES custom_gpt_sessions (id) ON DELETE SET NULL,
  token_hash text NOT NULL UNIQUE,
  scope text NOT NULL DEFAULT '',
  expires_at timestamptz NOT NULL,
  idle_expires_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz
);
CREATE INDEX custom_gpt_sessions_family_idx ON custom_gpt_sessions (family_id);
CREATE INDEX custom_gpt_sessions_application_idx ON custom_gpt_sessions (application_id, created_at);
CREATE INDEX custom_gpt_sessions_expires_idx ON custom_gpt_sessions (expires_at);

-- The id is the event's own id, chosen by whoever records it, so a replayed event inserts
-- nothing twice (INSERT ... ON CONFLICT (id) DO NOTHING). request_data is sanitised before it
-- gets here: no tokens, secrets or memory contents. application_id has no foreign key on
-- purpose: the trail outlives a deleted application.
CREATE TABLE custom_gpt_audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL,
  end_user_id text,
  operation_type text NOT NULL,
  request_data jsonb NOT NULL DEFAULT '{}',
  response_status integer NOT NULL,
  processing_time_ms double precision,
  memory_service_request_id text,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX custom_gpt_audit_logs_application_created_idx
  ON custom_gpt_audit_logs (application_id, created_at);

-- What a client's 202 request id became: the status operation reads it.
CREATE TABLE custom_gpt_jobs (
  request_id text PRIMARY KEY,
  application_id uuid NOT NULL REFERENCES custom_gpt_applications (id) ON DELETE CASCADE,
  end_user_id text,
  operation text NOT NULL,
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  error text,
  processing_time_ms double precision,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX custom_gpt_jobs_application_created_idx ON custom_gpt_jobs (application_id, created_at);

-- Row-level security: a session sees and writes only the rows of the application it set.
-- Without app.application_id nothing matches. FORCE applies it to the tables' owner too
-- (superusers and BYPASSRLS roles are still exempt, which is why services must use neither).
ALTER TABLE custom_gpt_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_gpt_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY custom_gpt_sessions_application_isolation ON custom_gpt_sessions
  USING (application_id = NULLIF(current_setting('app.application_id', true), '')::uuid)
  WITH CHECK (application_id = NULLIF(current_setting('app.application_id', true), '')::uuid);

ALTER TABLE custom_gpt_audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_gpt_audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY custom_gpt_audit_logs_application_isolation ON custom_gpt_audit_logs
  USING (application_id = NULLIF(current_setting('app.application_id', true), '')::uuid)
  WITH CHECK (application_id = NULLIF(current_setting('app.application_id', true), '')::uuid);

ALTER TABLE custom_gpt_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_gpt_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY custom_gpt_jobs_application_isolation ON custom_gpt_jobs
  USING (application_id = NULLIF(current_setting('app.application_id', true), '')::uuid)
  WITH CHECK (application_id = NULLIF(current_setting('app.application_id', true), '')::uuid);

-- The privileges the API and the worker need, held by a role that cannot log in: deployments
-- grant it to their login role (GRANT gpt_adapter_runtime TO <login role>). Roles belong to the
-- whole cluster, so another database may have created it already.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'gpt_adapter_runtime') THEN
    CREATE ROLE gpt_adapter_runtime NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created concurrently for another database
END
$$;
DO $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO gpt_adapter_runtime', current_schema());
END
$$;
GRANT SELECT, UPDATE ON custom_gpt_applications TO gpt_adapter_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE
  ON custom_gpt_sessions, custom_gpt_audit_logs, custom_gpt_jobs TO gpt_adapter_runtime;
