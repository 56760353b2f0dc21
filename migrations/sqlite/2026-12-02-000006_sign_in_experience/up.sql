-- How the identity provider itself looks on every end-user page: one row, set in the
-- console's sign-in experience page (`/api/sign-in-experience`).
CREATE TABLE sign_in_experience (
    id TEXT PRIMARY KEY NOT NULL CHECK (id = 'default'),
    organization_name TEXT,
    logo_url TEXT,
    dark_logo_url TEXT,
    favicon_url TEXT,
    accent_color TEXT,
    dark_accent_color TEXT,
    custom_css TEXT,
    updated_at BIGINT NOT NULL
);
