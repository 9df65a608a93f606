-- A container client sends the CI token it logged in with again for every
-- registry token: the same token (by its SHA-256) gets the registry token
-- it was first traded for, while that lives.
ALTER TABLE oidc_tokens_seen ADD COLUMN jwt_sha256 TEXT;
ALTER TABLE oidc_tokens_seen ADD COLUMN token_id BIGINT;
