-- How each session's user proved who they are (RFC 8176 amr values, space-separated), and the
-- browser it began in.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
-- The amr of the sign-in a refresh token family started from, for refreshed ID tokens.
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
-- Who must sign in with a second factor: `optional`, `required` (everyone) or `admins`.
ALTER TABLE sign_in_experience ADD COLUMN mfa TEXT NOT NULL DEFAULT 'optional'
    CHECK (mfa IN ('optional', 'required', 'admins'));
