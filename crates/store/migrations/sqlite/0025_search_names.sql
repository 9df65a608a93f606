-- Searching by words across owners reads its matches from indexes, newest
-- first, only as far as a page needs (sql/search/tiers.rs): names by their
-- lower case for the exact name, and a trigram index of the names for a
-- name that contains the text (`t-pa` in `left-pad`), and the words of
-- names and keywords alone (a word's list in packages_fts, filtered to two
-- columns, is read whole: 100,000 rows for a word every description has),
-- both kept by triggers as packages_fts is.
CREATE INDEX packages_lower_name_live ON packages (lower(name)) WHERE deleted_at IS NULL;

CREATE VIRTUAL TABLE package_names USING fts5(
    name,
    content = 'packages', content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO package_names (package_names) VALUES ('rebuild');

CREATE TRIGGER package_names_insert AFTER INSERT ON packages BEGIN
    INSERT INTO package_names (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER package_names_delete AFTER DELETE ON packages BEGIN
    INSERT INTO package_names (package_names, rowid, name) VALUES ('delete', old.id, old.name);
END;

CREATE TRIGGER package_names_update AFTER UPDATE OF name ON packages BEGIN
    INSERT INTO package_names (package_names, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO package_names (rowid, name) VALUES (new.id, new.name);
END;

CREATE VIRTUAL TABLE package_labels USING fts5(
    name, keywords,
    content = 'packages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO package_labels (package_labels) VALUES ('rebuild');

CREATE TRIGGER package_labels_insert AFTER INSERT ON packages BEGIN
    INSERT INTO package_labels (rowid, name, keywords) VALUES (new.id, new.name, new.keywords);
END;

CREATE TRIGGER package_labels_delete AFTER DELETE ON packages BEGIN
    INSERT INTO package_labels (package_labels, rowid, name, keywords)
    VALUES ('delete', old.id, old.name, old.keywords);
END;

CREATE TRIGGER package_labels_update AFTER UPDATE OF name, keywords ON packages BEGIN
    INSERT INTO package_labels (package_labels, rowid, name, keywords)
    VALUES ('delete', old.id, old.name, old.keywords);
    INSERT INTO package_labels (rowid, name, keywords) VALUES (new.id, new.name, new.keywords);
END;
