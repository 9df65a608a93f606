-- An archived repository is read-only, with the packages in it or
-- connected to it, until it is unarchived.
ALTER TABLE repositories ADD COLUMN archived_at TEXT;
