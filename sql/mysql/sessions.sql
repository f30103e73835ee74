-- Sessions (scs): an opaque token, the encoded session data, when it
-- expires, and the logged-in user (NULL for an anonymous session), so that
-- a request loads its session and user in one query. Deleting a user ends
-- its sessions. Expired rows are deleted by the store's cleanup.

CREATE TABLE quarry_sessions (
    token   VARCHAR(64) NOT NULL PRIMARY KEY COLLATE utf8mb4_bin,
    data    LONGBLOB    NOT NULL,
    expiry  DATETIME(6) NOT NULL,
    user_id BIGINT      NULL,
    INDEX quarry_sessions_expiry_idx (expiry),
    INDEX quarry_sessions_user_idx (user_id),
    CONSTRAINT quarry_sessions_user_fk FOREIGN KEY (user_id) REFERENCES quarry_users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
