ALTER TABLE sign_in_experience DROP COLUMN sign_up;
