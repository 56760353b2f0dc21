-- When a key stopped signing; it keeps verifying for the grace period after that.
ALTER TABLE signing_keys ADD COLUMN retired_at BIGINT;
