-- Entrepot's metadata schema (SQLite). Times are fixed-width RFC 3339 UTC
-- text, so they compare correctly as text here and in PostgreSQL.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('user', 'organization')),
    name          TEXT,
    email         TEXT,
    password_hash TEXT,
    site_admin    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- Users and organizations share one namespace, case-insensitively.
CREATE UNIQUE INDEX accounts_login ON accounts (lower(login));

CREATE TABLE org_members (
    org_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('member', 'owner')),
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE repositories (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'private', 'internal')),
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX repositories_name ON repositories (owner_id, lower(name));

CREATE TABLE repo_collaborators (
    repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    PRIMARY KEY (repo_id, user_id)
);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    note         TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE packages (
    id             INTEGER PRIMARY KEY,
    owner_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_type   TEXT NOT NULL,
    name           TEXT NOT NULL,
    visibility     TEXT NOT NULL CHECK (visibility IN ('public', 'private', 'internal')),
    repository_id  INTEGER REFERENCES repositories(id) ON DELETE SET NULL,
    inherit_access INTEGER NOT NULL DEFAULT 1,
    description    TEXT,
    readme         TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT
);
-- One live package per owner, type and name; deleted ones wait for restore.
CREATE UNIQUE INDEX packages_live_name ON packages(owner_id, package_type, name) WHERE deleted_at IS NULL;
CREATE INDEX packages_repository ON packages(repository_id);

CREATE TABLE package_roles (
    package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    PRIMARY KEY (package_id, user_id)
);

CREATE TABLE versions (
    id           INTEGER PRIMARY KEY,
    package_id   INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    publisher_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    UNIQUE (package_id, name)
);

CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    version_id   INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    digests      TEXT NOT NULL DEFAULT '{}',
    content_type TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (version_id, name)
);
CREATE INDEX files_sha256 ON files(sha256);

CREATE TABLE tags (
    package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (package_id, name)
);

CREATE TABLE downloads (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (version_id, day)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    package_id INTEGER REFERENCES packages(id) ON DELETE SET NULL,
    version_id INTEGER,
    detail     TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX audit_log_package ON audit_log(package_id);

-- Background jobs: a node runs a job only after claiming it until a time.
CREATE TABLE jobs (
    name          TEXT PRIMARY KEY,
    claimed_until TEXT NOT NULL,
    claimed_by    TEXT
);
