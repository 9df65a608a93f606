-- Cleanup rules (lifecycle governance): an owner's rules, each what it
-- selects, keeps and removes as JSON (`entrepot_core::cleanup::RuleSpec`),
-- which the domain reads; the preview and the job apply them.
CREATE TABLE cleanup_rules (
    id         INTEGER PRIMARY KEY,
    owner_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX cleanup_rules_owner ON cleanup_rules(owner_id);
