-- Web sign-in: browser sessions (by the SHA-256 of the cookie's secret, with
-- the session's CSRF token) and recent failed sign-ins, which throttle
-- password guessing. Both shared by every node.

CREATE TABLE web_sessions (
    hash       TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions(expires_at);

CREATE TABLE sign_in_failures (
    login TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX sign_in_failures_login_at ON sign_in_failures(login, at);
