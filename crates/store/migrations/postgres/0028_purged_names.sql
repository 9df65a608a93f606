-- Names of an owner's packages purged for good (past the retention
-- period): an owner's index that falls through to an upstream still
-- treats them as the owner's, so that a client pinned to a name the owner
-- had never gets the upstream's package of that name instead.
CREATE TABLE purged_names (
    owner_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    name         TEXT NOT NULL,
    purged_at    TEXT NOT NULL,
    PRIMARY KEY (owner_id, package_type, name)
);
