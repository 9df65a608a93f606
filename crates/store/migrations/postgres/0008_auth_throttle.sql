-- Password guessing, throttled per user and per client address: one row a
-- key ("user:alice", "addr:192.0.2.7"), counting the attempts of the window
-- that began at `window_start`. One upsert counts an attempt and reads the
-- count, so concurrent guesses on every node are counted one by one.

DROP TABLE sign_in_failures;

CREATE TABLE auth_throttle (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    attempts     BIGINT NOT NULL
);
CREATE INDEX auth_throttle_window ON auth_throttle(window_start);
