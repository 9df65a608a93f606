-- Upstream registries Entrepot proxies and caches. Each one's name is an
-- account (one namespace with users and organizations), so no user or
-- organization can take it, and what is cached from it is owned by it.
-- The account keeps kind 'organization' and is marked by `is_upstream`:
-- SQLite cannot widen the kind column's CHECK in place.

ALTER TABLE accounts ADD COLUMN is_upstream BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE upstreams (
    account_id           BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    format               TEXT NOT NULL,
    url                  TEXT NOT NULL,
    username             TEXT,
    password             TEXT,
    metadata_ttl_seconds BIGINT NOT NULL,
    is_default           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TEXT NOT NULL
);
-- At most one default upstream per format.
CREATE UNIQUE INDEX upstreams_default ON upstreams (format) WHERE is_default;

-- Documents fetched from an upstream (an npm packument, a PyPI project
-- page), as the upstream sent them, with what revalidates them.
CREATE TABLE upstream_documents (
    account_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    path          TEXT NOT NULL,
    body          TEXT NOT NULL,
    content_type  TEXT,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    TEXT NOT NULL,
    PRIMARY KEY (account_id, path)
);

-- Names served from an upstream (an npm scope such as `types`), in
-- lowercase: no user, organization or upstream may take one until a site
-- administrator releases it, so that a name once resolved from an upstream
-- cannot later be hijacked by a local owner.
CREATE TABLE reserved_names (
    name       TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

-- An owner's index falls through to an upstream for names the owner does
-- not have (PyPI: `BASE/pypi/OWNER/simple/` serves the upstream's other
-- projects), one upstream per owner and format; names matching one of
-- the `reserved` patterns (one glob a line, such as `acme-*`) never do.
CREATE TABLE owner_fallthrough (
    owner_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    format      TEXT NOT NULL,
    reserved    TEXT NOT NULL,
    upstream_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, format)
);
