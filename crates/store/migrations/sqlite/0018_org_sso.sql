-- Single sign-on of organizations (GitHub's SAML enforcement): the
-- identity provider an organization's owners chose, each member's identity
-- there, the browser sessions that signed on through it, and the tokens
-- authorized for it.
CREATE TABLE org_sso (
    org_id     INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE org_sso_identities (
    org_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    linked_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id),
    UNIQUE (org_id, subject)
);
CREATE TABLE org_sso_sessions (
    session_hash TEXT NOT NULL REFERENCES web_sessions(hash) ON DELETE CASCADE,
    org_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (session_hash, org_id)
);
CREATE TABLE org_sso_tokens (
    token_id      INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    org_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    authorized_at TEXT NOT NULL,
    PRIMARY KEY (token_id, org_id)
);
CREATE INDEX org_sso_tokens_org ON org_sso_tokens (org_id);
