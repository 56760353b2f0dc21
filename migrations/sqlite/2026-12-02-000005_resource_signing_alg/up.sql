-- The JWS algorithm of a resource's JWT access tokens (RFC 9068 §2.1): RS256 unless the
-- operator picks ES256.
ALTER TABLE resources ADD COLUMN access_token_signing_alg TEXT NOT NULL DEFAULT 'RS256';
