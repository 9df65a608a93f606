-- Quotas also limit the bytes of each package.
ALTER TABLE quotas ADD COLUMN package_bytes BIGINT;
