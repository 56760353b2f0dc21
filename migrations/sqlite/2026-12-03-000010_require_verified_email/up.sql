-- Whether an account with an email address must verify it before it may sign in.
ALTER TABLE sign_in_experience ADD COLUMN require_verified_email BOOLEAN NOT NULL DEFAULT FALSE;
