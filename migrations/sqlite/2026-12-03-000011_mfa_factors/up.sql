-- Second factors: an authenticator app (TOTP, its secret sealed under a key derived from
-- secret_key, and the last time step it was accepted for) or a passkey (its credential).
CREATE TABLE mfa_factors (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name TEXT NOT NULL,
    secret TEXT NOT NULL,
    last_used_step BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id);

-- Recovery codes, as hashes; each works once.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
