-- An email address is verified by a mailed single-use link; only the
-- SHA-256 of the link's secret is kept, with the address it verifies.
ALTER TABLE accounts ADD COLUMN email_verified_at TEXT;

CREATE TABLE email_verifications (
    hash       TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
