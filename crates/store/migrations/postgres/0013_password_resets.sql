-- Single-use password-reset links: only the SHA-256 of the link's secret
-- is kept, until it is used or expires.
CREATE TABLE password_resets (
    hash       TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
