-- Whether people may create their own account from the sign-in page, and with what: `off`,
-- `email` (email and password) or `username` (username and password).
ALTER TABLE sign_in_experience ADD COLUMN sign_up TEXT NOT NULL DEFAULT 'off'
    CHECK (sign_up IN ('off', 'email', 'username'));
