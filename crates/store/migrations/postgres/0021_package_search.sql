-- Full-text search over packages' names, descriptions and READMEs: an
-- index on the weighted document. `search.rs` (PG_DOCUMENT) queries the
-- same expression, word for word, or the index is not used.
CREATE INDEX packages_search ON packages USING GIN ((setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'B') || setweight(to_tsvector('simple'::regconfig, left(coalesce(readme, ''), 262144)), 'D')));
