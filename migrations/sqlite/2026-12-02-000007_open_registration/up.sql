-- Self-service client registration (RFC 7591 / 7592, docs/open-platform.md).

-- The ceiling every self-registered client gets: one row, set at /api/registration-policy.
-- app_types and redirect_hosts are space-separated; permissions is a JSON array of
-- {"type": "user" | "resource" | "organization" | "organization_resource", "ref": "..."}.
CREATE TABLE registration_policy (
    id TEXT PRIMARY KEY NOT NULL CHECK (id = 'default'),
    enabled BOOLEAN NOT NULL,
    app_types TEXT NOT NULL,
    permissions TEXT NOT NULL,
    redirect_hosts TEXT NOT NULL,
    require_initial_access_token BOOLEAN NOT NULL,
    registrations_per_hour BIGINT NOT NULL,
    unverified_notice BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);

-- How a self-registered client came to be, and the hash of its registration access token.
-- grant_types and scope are what it was registered with (space-separated); contacts is a JSON
-- array of strings.
CREATE TABLE client_registrations (
    application_id TEXT PRIMARY KEY NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    access_token_hash TEXT NOT NULL UNIQUE,
    registered_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT,
    software_id TEXT,
    software_version TEXT,
    client_uri TEXT,
    contacts TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    scope TEXT NOT NULL
);

-- Initial access tokens an operator hands developers when registration requires one (RFC 7591
-- §3): each usable until it expires or is revoked; only its hash is kept.
CREATE TABLE initial_access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
