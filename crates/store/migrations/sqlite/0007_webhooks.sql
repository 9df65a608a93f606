-- Webhooks, their delivery log, package subscriptions and notifications
-- (issue 13). A hook belongs to an account (all its packages) or to one
-- package; deliveries keep the payload as sent so that a redelivery
-- repeats it byte for byte. Lists are JSON text.

CREATE TABLE hooks (
    id           INTEGER PRIMARY KEY,
    owner_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_id   INTEGER REFERENCES packages(id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    secret       TEXT,
    content_type TEXT NOT NULL CHECK (content_type IN ('json', 'form')),
    events       TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    insecure_ssl INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX hooks_owner ON hooks(owner_id, package_id);
CREATE INDEX hooks_package ON hooks(package_id);

CREATE TABLE hook_deliveries (
    id               INTEGER PRIMARY KEY,
    guid             TEXT NOT NULL UNIQUE,
    hook_id          INTEGER NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    action           TEXT,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    status_code      INTEGER,
    status           TEXT NOT NULL,
    duration_ms      INTEGER,
    delivered_at     TEXT,
    redelivery       INTEGER NOT NULL DEFAULT 0,
    request_headers  TEXT,
    response_headers TEXT,
    response_body    TEXT,
    created_at       TEXT NOT NULL
);
-- The worker's question: what is due?
CREATE INDEX hook_deliveries_due ON hook_deliveries(state, next_attempt_at);
CREATE INDEX hook_deliveries_hook ON hook_deliveries(hook_id, id);

CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_id INTEGER REFERENCES packages(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
-- One subscription per account and package; 0 stands for "everything".
CREATE UNIQUE INDEX subscriptions_unique ON subscriptions(account_id, COALESCE(package_id, 0));
CREATE INDEX subscriptions_package ON subscriptions(package_id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    title      TEXT NOT NULL,
    url        TEXT NOT NULL,
    package_id INTEGER REFERENCES packages(id) ON DELETE CASCADE,
    ghsa_id    TEXT,
    unread     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX notifications_user ON notifications(user_id, unread, id);
