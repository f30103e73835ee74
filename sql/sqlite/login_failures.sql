-- Login throttling: failed attempts counted per key ("user:<name>",
-- "ip:<address>") within a window, and a lock once they reach the limit.
-- Kept in the database so that every app instance sees the same counts.

CREATE TABLE quarry_login_failures (
    throttle_key VARCHAR(255) NOT NULL PRIMARY KEY,
    failures     INTEGER      NOT NULL,
    window_start DATETIME NOT NULL,
    locked_until DATETIME
);
