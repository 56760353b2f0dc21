-- Resource indicator → granted scope names a refresh token may mint access tokens for
-- (RFC 8707 §2.2), a JSON object.
ALTER TABLE refresh_tokens ADD COLUMN resources TEXT NOT NULL DEFAULT '{}';
