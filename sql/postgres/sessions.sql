-- Sessions (scs): an opaque token, the encoded session data, and when it
-- expires. Expired rows are deleted by the store's cleanup.

CREATE TABLE quarry_sessions (
    token  VARCHAR(64) NOT NULL PRIMARY KEY,
    data   BYTEA       NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);

CREATE INDEX quarry_sessions_expiry_idx ON quarry_sessions (expiry);
