DROP INDEX mfa_factors_credential_id;
ALTER TABLE mfa_factors DROP COLUMN credential_id;
