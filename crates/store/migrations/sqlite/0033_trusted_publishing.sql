-- Trusted publishing: the CI identities that may publish a package (by
-- name: it need not exist yet), the OpenID Connect tokens already
-- exchanged (each once), and what a minted token is bound to.
CREATE TABLE trusted_publishers (
    id           INTEGER PRIMARY KEY,
    owner_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    name         TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    repository   TEXT NOT NULL,
    workflow     TEXT,
    git_ref      TEXT,
    environment  TEXT,
    created_by   INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX trusted_publishers_package ON trusted_publishers(owner_id, package_type, name);
CREATE INDEX trusted_publishers_issuer ON trusted_publishers(issuer, package_type);

CREATE TABLE oidc_tokens_seen (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (issuer, jti)
);

-- JSON of entrepot_core::trusted::Grant; NULL for every other token.
ALTER TABLE tokens ADD COLUMN bound_to TEXT;

-- A version's page names the CI run that published it, from its entry.
CREATE INDEX audit_log_version ON audit_log(version_id);
