-- Quotas (lifecycle governance), set by site administrators: the most an
-- owner stores (format '' for all its packages) and the most versions
-- each of its packages has.
CREATE TABLE quotas (
    owner_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    format   TEXT NOT NULL,
    bytes    BIGINT,
    versions BIGINT,
    PRIMARY KEY (owner_id, format)
);
