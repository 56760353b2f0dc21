-- Clients named by a Client ID Metadata Document (docs/open-platform.md): their client id is
-- the document's https URL, fetched by Latch, and they hold no registration access token.
ALTER TABLE client_registrations ALTER COLUMN access_token_hash DROP NOT NULL;
ALTER TABLE client_registrations
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'registration' CHECK (kind IN ('registration', 'metadata_document'));
ALTER TABLE client_registrations
    ADD CONSTRAINT client_registrations_token_of_kind CHECK ((kind = 'registration') = (access_token_hash IS NOT NULL));
