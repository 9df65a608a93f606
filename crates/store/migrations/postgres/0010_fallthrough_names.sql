-- Names an owner's index served from the upstream it falls through to
-- (PyPI: `requests` in alice's index), normalised as the format keeps
-- names: the owner cannot create a local package of that name until a
-- site administrator releases it, so that a name once resolved from the
-- upstream is not silently replaced by a local one.
CREATE TABLE fallthrough_names (
    owner_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    format      TEXT NOT NULL,
    name        TEXT NOT NULL,
    upstream_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (owner_id, format, name)
);
