-- Immutable tags (lifecycle governance): an owner's glob patterns whose
-- tags, once set, are never moved nor removed; the format they apply to,
-- or NULL for all.
CREATE TABLE immutable_tags (
    id         INTEGER PRIMARY KEY,
    owner_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    format     TEXT,
    pattern    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX immutable_tags_owner ON immutable_tags(owner_id);
