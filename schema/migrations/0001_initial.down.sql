-- Reverts 0001_initial: the tables (with their indexes, policies and grants) and the runtime
-- role, unless the role is still used elsewhere in the cluster (another database's grants).
DROP TABLE IF EXISTS custom_gpt_jobs;
DROP TABLE IF EXISTS custom_gpt_audit_logs;
DROP TABLE IF EXISTS custom_gpt_sessions;
DROP TABLE IF EXISTS custom_gpt_applications;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'gpt_adapter_runtime') THEN
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM gpt_adapter_runtime', current_schema());
    BEGIN
      DROP ROLE gpt_adapter_runtime;
    EXCEPTION
      WHEN dependent_objects_still_exist THEN
        RAISE NOTICE 'role gpt_adapter_runtime is still used by another database; kept';
    END;
  END IF;
END
$$;
