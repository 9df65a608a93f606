-- Signed images: simple-signing signatures pushed through the signature
-- extension API (sigstore's are manifests of their own), and the keys a
-- package's images must be signed with.
CREATE TABLE image_signatures (
    id              INTEGER PRIMARY KEY,
    package_id      INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    manifest_digest TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- The OpenPGP message, base64.
    content         TEXT NOT NULL,
    created_by      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (package_id, manifest_digest, name)
);

CREATE TABLE image_signing_keys (
    id          INTEGER PRIMARY KEY,
    package_id  INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    note        TEXT,
    created_by  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (package_id, fingerprint)
);
