-- Login throttling: failed attempts counted per key ("user:<name>",
-- "ip:<address>") within a window, and a lock once they reach the limit.
-- Kept in the database so that every app instance sees the same counts.

CREATE TABLE quarry_login_failures (
    throttle_key VARCHAR(255) NOT NULL PRIMARY KEY COLLATE utf8mb4_bin,
    failures     BIGINT       NOT NULL,
    window_start DATETIME(6) NOT NULL,
    locked_until DATETIME(6)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
