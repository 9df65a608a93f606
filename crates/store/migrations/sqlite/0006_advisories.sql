-- Security advisories on packages (issue 13): drafted by a package's
-- admins, published and withdrawn by a site administrator. Lists are JSON
-- text; the package's ecosystem and name are kept beside its id so that
-- the global list filters without a join.

CREATE TABLE advisories (
    id              INTEGER PRIMARY KEY,
    ghsa_id         TEXT NOT NULL UNIQUE,
    package_id      INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    ecosystem       TEXT NOT NULL,
    package_name    TEXT NOT NULL,
    summary         TEXT NOT NULL,
    description     TEXT NOT NULL,
    severity        TEXT CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    cvss_vector     TEXT,
    cve_id          TEXT,
    cwe_ids         TEXT NOT NULL,
    vulnerabilities TEXT NOT NULL,
    credits         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('draft', 'published', 'withdrawn')),
    author_id       INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    publisher_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    published_at    TEXT,
    withdrawn_at    TEXT
);
CREATE INDEX advisories_package ON advisories(package_id);
CREATE INDEX advisories_listing ON advisories(state, ecosystem, package_name);
