-- Full-text search over packages' names, keywords, descriptions and
-- READMEs: an FTS5 index of the packages table's own text, kept by
-- triggers. Keywords are the newest version's, as the description is.
ALTER TABLE packages ADD COLUMN keywords TEXT;

CREATE VIRTUAL TABLE packages_fts USING fts5(
    name, keywords, description, readme,
    content = 'packages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO packages_fts (packages_fts) VALUES ('rebuild');

CREATE TRIGGER packages_fts_insert AFTER INSERT ON packages BEGIN
    INSERT INTO packages_fts (rowid, name, keywords, description, readme)
    VALUES (new.id, new.name, new.keywords, new.description, new.readme);
END;

CREATE TRIGGER packages_fts_delete AFTER DELETE ON packages BEGIN
    INSERT INTO packages_fts (packages_fts, rowid, name, keywords, description, readme)
    VALUES ('delete', old.id, old.name, old.keywords, old.description, old.readme);
END;

CREATE TRIGGER packages_fts_update AFTER UPDATE OF name, keywords, description, readme ON packages BEGIN
    INSERT INTO packages_fts (packages_fts, rowid, name, keywords, description, readme)
    VALUES ('delete', old.id, old.name, old.keywords, old.description, old.readme);
    INSERT INTO packages_fts (rowid, name, keywords, description, readme)
    VALUES (new.id, new.name, new.keywords, new.description, new.readme);
END;
