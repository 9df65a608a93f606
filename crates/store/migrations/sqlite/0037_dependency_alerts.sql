-- Dependency alerts: a package whose newest version depends, through a
-- range that admits an affected version, on a package an advisory names.
-- One per advisory, dependent package and dependency name.
CREATE TABLE dependency_alerts (
    id                INTEGER PRIMARY KEY,
    advisory_id       INTEGER NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    package_id        INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    ecosystem         TEXT NOT NULL,
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,
    requirement       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    applies_to        TEXT,
    state             TEXT NOT NULL,
    admits_patched    INTEGER NOT NULL,
    dismissed_reason  TEXT,
    dismissed_comment TEXT,
    dismissed_by      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    dismissed_at      TEXT,
    fixed_at          TEXT,
    auto_dismissed_at TEXT,
    UNIQUE (advisory_id, package_id, name_key)
);
CREATE INDEX dependency_alerts_package ON dependency_alerts(package_id);
