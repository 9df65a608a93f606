-- The dependency graph: what each package's newest version declares it
-- depends on, read again whenever the package changes (`indexed_for` is
-- the package's `updated_at` when it was read).
CREATE TABLE package_dependencies (
    package_id  BIGINT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    version_id  BIGINT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- The name as dependencies are matched (entrepot_core::dependency::key).
    name_key    TEXT NOT NULL,
    requirement TEXT NOT NULL,
    kind        TEXT NOT NULL,
    applies_to  TEXT,
    -- The order the version declares them in.
    position    INTEGER NOT NULL
);
CREATE INDEX package_dependencies_package ON package_dependencies(package_id);
CREATE INDEX package_dependencies_key ON package_dependencies(ecosystem, name_key);

CREATE TABLE dependency_index (
    package_id  BIGINT PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
    version_id  BIGINT REFERENCES versions(id) ON DELETE SET NULL,
    indexed_for TEXT NOT NULL
);
