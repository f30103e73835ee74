-- Login throttling (auth.Throttle): failed attempts counted per key — an
-- account across addresses ("a:…"), an address ("ip:…"), an account at one
-- address ("p:…") — since window_start, with the earliest time of the
-- key's next attempt in locked_until; "ok:…" rows mark an address an
-- account logged in from (window_start: the last success). Keys are at
-- most 190 characters whatever a client sends. Kept in the database so
-- that every app instance sees the same counts.

CREATE TABLE quarry_login_failures (
    throttle_key VARCHAR(255) NOT NULL PRIMARY KEY,
    failures     INTEGER      NOT NULL,
    window_start DATETIME NOT NULL,
    locked_until DATETIME
);
