-- Site administration: a suspended user keeps their packages but no token
-- or session of theirs works; a deleted account's login is retired, never
-- given to anyone again, so that no one can publish under a name whose
-- packages were someone else's.
ALTER TABLE accounts ADD COLUMN suspended_at TEXT;

CREATE TABLE retired_logins (
    login      TEXT NOT NULL,
    retired_at TEXT NOT NULL
);
CREATE UNIQUE INDEX retired_logins_login ON retired_logins (lower(login));
