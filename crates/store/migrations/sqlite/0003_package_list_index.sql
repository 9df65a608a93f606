-- Owner listings page through live packages in id order; partial so
-- that counting them reads the index alone.
CREATE INDEX packages_owner_type_live ON packages(owner_id, package_type, id) WHERE deleted_at IS NULL;
