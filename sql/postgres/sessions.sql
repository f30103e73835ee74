-- Sessions (scs): an opaque token, the encoded session data, when it
-- expires, and the logged-in user (NULL for an anonymous session), so that
-- a request loads its session and user in one query. Deleting a user ends
-- its sessions. Expired rows are deleted by the store's cleanup.

CREATE TABLE quarry_sessions (
    token   VARCHAR(64) NOT NULL PRIMARY KEY,
    data    BYTEA       NOT NULL,
    expiry  TIMESTAMPTZ NOT NULL,
    user_id BIGINT REFERENCES quarry_users (id) ON DELETE CASCADE
);

CREATE INDEX quarry_sessions_expiry_idx ON quarry_sessions (expiry);
CREATE INDEX quarry_sessions_user_idx ON quarry_sessions (user_id);
