-- An owner's page lists the newest first: walked in this index's order, it
-- reads one page of rows, not every package the owner has.
CREATE INDEX packages_owner_updated_live ON packages(owner_id, updated_at, id) WHERE deleted_at IS NULL;

-- The owner's page also offers its deleted packages back: found here, not
-- by reading every live one.
CREATE INDEX packages_owner_deleted ON packages(owner_id, id) WHERE deleted_at IS NOT NULL;
