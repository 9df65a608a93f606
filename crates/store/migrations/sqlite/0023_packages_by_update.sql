-- An owner's page lists the newest first: walked in this index's order, it
-- reads one page of rows, not every package the owner has.
CREATE INDEX packages_owner_updated_live ON packages(owner_id, updated_at, id) WHERE deleted_at IS NULL;
