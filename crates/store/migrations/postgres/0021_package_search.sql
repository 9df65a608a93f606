-- Full-text search over packages' names, keywords, descriptions and
-- READMEs: an index on the weighted document. `search.rs` (PG_DOCUMENT)
-- queries the same expression, word for word, or the index is not used.
-- Keywords are the newest version's, as the description is.
ALTER TABLE packages ADD COLUMN keywords TEXT;

CREATE INDEX packages_search ON packages USING GIN ((setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('simple'::regconfig, coalesce(keywords, '')), 'B') || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C') || setweight(to_tsvector('simple'::regconfig, left(coalesce(readme, ''), 32768)), 'D')));
