-- The token_endpoint_auth_method a self-registered client registered with (RFC 7591 §2), read
-- back at RFC 7592 §2.1. Empty for clients registered before it was kept.
ALTER TABLE client_registrations ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT '';
