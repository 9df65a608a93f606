-- Whether a user's notifications (advisories on watched packages) also go
-- to their verified email address.
ALTER TABLE accounts ADD COLUMN email_notifications INTEGER NOT NULL DEFAULT 1;
