-- PostgreSQL only (triggers announcing changes): SQLite's are seen in its
-- WAL index (src/sql/cache.rs).
SELECT 1;
