-- Versions and their files are kept in memory too (src/sql/cache.rs):
-- every download reads them. Their changes are announced like those of
-- migration 0022.
CREATE TRIGGER versions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON versions
    FOR EACH STATEMENT EXECUTE FUNCTION entrepot_changed();
CREATE TRIGGER files_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON files
    FOR EACH STATEMENT EXECUTE FUNCTION entrepot_changed();
