DELETE FROM applications
WHERE id IN (SELECT application_id FROM client_registrations WHERE kind = 'metadata_document');
ALTER TABLE client_registrations DROP CONSTRAINT client_registrations_token_of_kind;
ALTER TABLE client_registrations DROP COLUMN kind;
ALTER TABLE client_registrations ALTER COLUMN access_token_hash SET NOT NULL;
