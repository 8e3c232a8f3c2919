-- Reverts 0006_client_registration: self-registered clients go with it (their sessions and
-- tokens cascade), operator-registered applications stay.
DROP TRIGGER custom_gpt_applications_operator_rows_by_owner ON custom_gpt_applications;
DROP FUNCTION custom_gpt_applications_operator_rows_by_owner();
REVOKE INSERT ON custom_gpt_applications FROM gpt_adapter_runtime;
DELETE FROM custom_gpt_applications WHERE registration <> 'operator';
ALTER TABLE custom_gpt_applications
  DROP CONSTRAINT custom_gpt_applications_public_without_secret,
  DROP COLUMN public_client,
  DROP COLUMN registration;
