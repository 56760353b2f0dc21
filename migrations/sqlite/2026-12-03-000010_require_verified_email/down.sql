ALTER TABLE sign_in_experience DROP COLUMN require_verified_email;
