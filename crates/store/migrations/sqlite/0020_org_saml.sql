-- Organizations that sign on through a SAML 2.0 identity provider (their
-- org_sso row's provider is 'saml'): its sign-on URL, its entity ID and
-- the PEM certificates its signatures are checked against; and the
-- assertions already used, kept until they expire, so none is used twice.
ALTER TABLE org_sso ADD COLUMN saml_sso_url TEXT;
ALTER TABLE org_sso ADD COLUMN saml_issuer TEXT;
ALTER TABLE org_sso ADD COLUMN saml_certificates TEXT;
CREATE TABLE saml_assertions (
    org_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, assertion_id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);
