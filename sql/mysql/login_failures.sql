-- Login throttling (auth.Throttle): failed attempts counted per key — an
-- account across addresses ("a:…"), an address ("ip:…"), an account at one
-- address ("p:…") — since window_start, with the earliest time of the
-- key's next attempt in locked_until; "ok:…" rows mark an address an
-- account logged in from (window_start: the last success). Keys are at
-- most 190 characters whatever a client sends. Kept in the database so
-- that every app instance sees the same counts.

CREATE TABLE quarry_login_failures (
    throttle_key VARCHAR(255) NOT NULL PRIMARY KEY COLLATE utf8mb4_bin,
    failures     BIGINT       NOT NULL,
    window_start DATETIME(6) NOT NULL,
    locked_until DATETIME(6)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
