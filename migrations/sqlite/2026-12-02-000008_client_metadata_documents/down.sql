DELETE FROM applications
WHERE id IN (SELECT application_id FROM client_registrations WHERE kind = 'metadata_document');
CREATE TABLE client_registrations_old (
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
INSERT INTO client_registrations_old
    (application_id, access_token_hash, registered_at, ip, user_agent, software_id, software_version,
     client_uri, contacts, grant_types, scope)
SELECT application_id, access_token_hash, registered_at, ip, user_agent, software_id, software_version,
       client_uri, contacts, grant_types, scope
FROM client_registrations
WHERE access_token_hash IS NOT NULL;
DROP TABLE client_registrations;
ALTER TABLE client_registrations_old RENAME TO client_registrations;
