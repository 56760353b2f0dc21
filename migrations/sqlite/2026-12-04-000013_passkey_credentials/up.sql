-- A passkey's credential id (base64url), by which a discoverable sign-in names it: one
-- credential belongs to one factor. NULL for other kinds.
ALTER TABLE mfa_factors ADD COLUMN credential_id TEXT;
CREATE UNIQUE INDEX mfa_factors_credential_id ON mfa_factors (credential_id);
