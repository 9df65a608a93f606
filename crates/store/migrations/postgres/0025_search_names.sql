-- Searching by words across owners reads its matches from indexes, newest
-- first, only as far as a page needs (sql/search/tiers.rs): names by their
-- lower case for the exact name, and a trigram index (pg_trgm, a trusted
-- extension that a database's owner may create) for a name that contains
-- the text (`t-pa` in `left-pad`); and the words of names and keywords
-- alone, as `PG_LABELS` in search/tiers.rs writes them (word for word).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX packages_lower_name_live ON packages (lower(name)) WHERE deleted_at IS NULL;

CREATE INDEX packages_name_trigrams ON packages USING GIN (lower(name) gin_trgm_ops) WHERE deleted_at IS NULL;

CREATE INDEX packages_labels ON packages USING GIN ((to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(keywords, ''))));
