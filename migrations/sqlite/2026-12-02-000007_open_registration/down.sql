DROP TABLE initial_access_tokens;
DROP TABLE client_registrations;
DROP TABLE registration_policy;
