-- Live packages per owner and type, kept by a trigger in the same
-- transaction as every change to `packages`, so that a paged listing's
-- total (GitHub's Link `last`) costs one row read instead of a scan that
-- grows with the owner's packages.

CREATE TABLE package_counts (
    owner_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    live         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, package_type)
);

INSERT INTO package_counts (owner_id, package_type, live)
    SELECT owner_id, package_type, COUNT(*) FROM packages
    WHERE deleted_at IS NULL GROUP BY owner_id, package_type;

CREATE FUNCTION package_counts_track() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.deleted_at IS NOT NULL) THEN
        INSERT INTO package_counts (owner_id, package_type, live)
            VALUES (NEW.owner_id, NEW.package_type, 1)
            ON CONFLICT (owner_id, package_type)
            DO UPDATE SET live = package_counts.live + 1;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL
       AND (TG_OP = 'DELETE' OR NEW.deleted_at IS NOT NULL) THEN
        UPDATE package_counts SET live = live - 1
            WHERE owner_id = OLD.owner_id AND package_type = OLD.package_type;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER package_counts_track
    AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON packages
    FOR EACH ROW EXECUTE FUNCTION package_counts_track();
