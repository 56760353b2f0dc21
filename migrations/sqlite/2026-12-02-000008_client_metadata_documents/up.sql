-- Clients named by a Client ID Metadata Document (docs/open-platform.md): their client id is
-- the document's https URL, fetched by Latch, and they hold no registration access token.
-- SQLite cannot drop NOT NULL in place, so the table is rebuilt (nothing references it).
CREATE TABLE client_registrations_new (
    application_id TEXT PRIMARY KEY NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    access_token_hash TEXT UNIQUE,
    registered_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT,
    software_id TEXT,
    software_version TEXT,
    client_uri TEXT,
    contacts TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    scope TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'registration' CHECK (kind IN ('registration', 'metadata_document')),
    CHECK ((kind = 'registration') = (access_token_hash IS NOT NULL))
);
INSERT INTO client_registrations_new
    (application_id, access_token_hash, registered_at, ip, user_agent, software_id, software_version,
     client_uri, contacts, grant_types, scope, kind)
SELECT application_id, access_token_hash, registered_at, ip, user_agent, software_id, software_version,
       client_uri, contacts, grant_types, scope, 'registration'
FROM client_registrations;
DROP TABLE client_registrations;
ALTER TABLE client_registrations_new RENAME TO client_registrations;
