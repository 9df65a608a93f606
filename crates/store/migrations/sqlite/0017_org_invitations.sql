-- Invitations to join an organization: an owner invites, the invitee
-- accepts (and becomes a member with the role) or declines. One pending
-- invitation per person and organization.
CREATE TABLE org_invitations (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    inviter_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, user_id)
);
CREATE INDEX org_invitations_user ON org_invitations (user_id);
