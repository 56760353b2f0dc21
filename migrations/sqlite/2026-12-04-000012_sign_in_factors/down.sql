ALTER TABLE sign_in_experience DROP COLUMN mfa;
ALTER TABLE refresh_tokens DROP COLUMN amr;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN amr;
