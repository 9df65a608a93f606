-- A package's downloads by day, kept by triggers in the same transaction
-- as each version's, so that its page's chart and totals read one row a
-- day, however many versions it has. A purged version's downloads leave
-- its package's with it.
CREATE TABLE package_downloads (
    package_id BIGINT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (package_id, day)
);

INSERT INTO package_downloads (package_id, day, count)
    SELECT v.package_id, d.day, SUM(d.count) FROM downloads d
    JOIN versions v ON v.id = d.version_id
    GROUP BY v.package_id, d.day;

CREATE FUNCTION package_downloads_track() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO package_downloads (package_id, day, count)
            SELECT package_id, NEW.day, NEW.count FROM versions WHERE id = NEW.version_id
            ON CONFLICT (package_id, day)
            DO UPDATE SET count = package_downloads.count + excluded.count;
    ELSE
        UPDATE package_downloads SET count = count + NEW.count - OLD.count
            WHERE package_id = (SELECT package_id FROM versions WHERE id = NEW.version_id)
            AND day = NEW.day;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER package_downloads_track
    AFTER INSERT OR UPDATE OF count ON downloads
    FOR EACH ROW EXECUTE FUNCTION package_downloads_track();

CREATE FUNCTION package_downloads_purge() RETURNS trigger AS $$
BEGIN
    UPDATE package_downloads pd SET count = pd.count - d.count FROM downloads d
        WHERE d.version_id = OLD.id AND pd.package_id = OLD.package_id AND pd.day = d.day;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER package_downloads_purge
    BEFORE DELETE ON versions
    FOR EACH ROW EXECUTE FUNCTION package_downloads_purge();

-- A package's live versions, newest first: its pages count them and read
-- the newest from this index alone.
CREATE INDEX versions_live ON versions(package_id, created_at, id) WHERE deleted_at IS NULL;
