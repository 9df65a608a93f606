-- Live packages per owner and type, kept by triggers in the same
-- transaction as every change to `packages`, so that a paged listing's
-- total (GitHub's Link `last`) costs one row read instead of a scan that
-- grows with the owner's packages.

CREATE TABLE package_counts (
    owner_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    live         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, package_type)
);

INSERT INTO package_counts (owner_id, package_type, live)
    SELECT owner_id, package_type, COUNT(*) FROM packages
    WHERE deleted_at IS NULL GROUP BY owner_id, package_type;

CREATE TRIGGER package_counts_insert AFTER INSERT ON packages
WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT OR IGNORE INTO package_counts (owner_id, package_type, live)
        VALUES (NEW.owner_id, NEW.package_type, 0);
    UPDATE package_counts SET live = live + 1
        WHERE owner_id = NEW.owner_id AND package_type = NEW.package_type;
END;

CREATE TRIGGER package_counts_delete AFTER DELETE ON packages
WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE package_counts SET live = live - 1
        WHERE owner_id = OLD.owner_id AND package_type = OLD.package_type;
END;

CREATE TRIGGER package_counts_deleted AFTER UPDATE OF deleted_at ON packages
WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE package_counts SET live = live - 1
        WHERE owner_id = OLD.owner_id AND package_type = OLD.package_type;
END;

CREATE TRIGGER package_counts_restored AFTER UPDATE OF deleted_at ON packages
WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL
BEGIN
    INSERT OR IGNORE INTO package_counts (owner_id, package_type, live)
        VALUES (NEW.owner_id, NEW.package_type, 0);
    UPDATE package_counts SET live = live + 1
        WHERE owner_id = NEW.owner_id AND package_type = NEW.package_type;
END;
