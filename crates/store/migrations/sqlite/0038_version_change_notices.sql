-- PostgreSQL only (triggers announcing changes to versions and files):
-- SQLite's are seen in its WAL index (src/sql/cache.rs).
SELECT 1;
