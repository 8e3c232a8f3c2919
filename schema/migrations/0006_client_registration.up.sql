-- Clients that registered themselves: through Dynamic Client Registration (RFC 7591) or as an
-- OAuth Client ID Metadata Document whose URL is the client_id. Public clients (MCP hosts on a
-- user's machine, token_endpoint_auth_method "none") have no secret and must use PKCE; their
-- client_secret_hash is empty. Both kinds are off unless an operator enables them, and are
-- listed, disabled and deleted with gpt-adapter-admin like any application.
ALTER TABLE custom_gpt_applications
  ADD COLUMN registration text NOT NULL DEFAULT 'operator'
    CHECK (registration IN ('operator', 'dynamic', 'metadata_document')),
  ADD COLUMN public_client boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT custom_gpt_applications_public_without_secret
    CHECK (public_client = (client_secret_hash = ''));
-- The API registers clients itself; it still never deletes one, and it can never create an
-- operator's application: only the owner (gpt-adapter-admin) or a superuser can.
GRANT INSERT ON custom_gpt_applications TO gpt_adapter_runtime;
CREATE FUNCTION custom_gpt_applications_operator_rows_by_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.registration = 'operator'
     AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'only the owner creates operator applications'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER custom_gpt_applications_operator_rows_by_owner
  BEFORE INSERT ON custom_gpt_applications
  FOR EACH ROW EXECUTE FUNCTION custom_gpt_applications_operator_rows_by_owner();
