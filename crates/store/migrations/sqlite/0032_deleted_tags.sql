-- The tags a version had when it was deleted, so that restoring it puts
-- them back (those not since set on another version); gone with the
-- version when it is purged.
CREATE TABLE deleted_tags (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    PRIMARY KEY (version_id, name)
);
