-- Token families (RFC 6749 §4.1.2): the exchange of one authorization code and every refresh
-- since share a family id, so a replayed code revokes all of them and nothing else.
ALTER TABLE refresh_tokens ADD COLUMN family_id TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN family_id TEXT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX access_tokens_family ON access_tokens (family_id);
