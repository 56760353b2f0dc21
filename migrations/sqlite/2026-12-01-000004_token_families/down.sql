DROP INDEX access_tokens_family;
DROP INDEX refresh_tokens_family;
ALTER TABLE access_tokens DROP COLUMN family_id;
ALTER TABLE refresh_tokens DROP COLUMN family_id;
