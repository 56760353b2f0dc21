ALTER TABLE resources DROP COLUMN access_token_signing_alg;
