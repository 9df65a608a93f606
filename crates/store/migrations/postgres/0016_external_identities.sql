-- Identities at external providers (OpenID Connect, LDAP) linked to
-- accounts. The provider's subject, never its user name, finds the account,
-- so a name reused at the provider cannot take over someone else's; an
-- account has at most one identity per provider.
CREATE TABLE external_identities (
    provider        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    linked_at       TEXT NOT NULL,
    last_sign_in_at TEXT,
    PRIMARY KEY (provider, subject),
    UNIQUE (provider, user_id)
);
CREATE INDEX external_identities_user ON external_identities (user_id);
