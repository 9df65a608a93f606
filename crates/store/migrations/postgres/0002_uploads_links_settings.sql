-- Resumable uploads (OCI chunked uploads), blobs linked to a repository
-- (OCI: a blob pushed to a repository before any manifest names it), and
-- instance settings shared by every node (the registry token key).

CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    owner_id   BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    repository TEXT NOT NULL,
    parts      TEXT NOT NULL DEFAULT '[]',
    size       BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE blob_links (
    owner_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    repository   TEXT NOT NULL,
    digest       TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (owner_id, package_type, repository, digest)
);
CREATE INDEX blob_links_digest ON blob_links(digest);
CREATE INDEX blob_links_sha256 ON blob_links(sha256);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
