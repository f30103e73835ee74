-- Sessions (scs): an opaque token, the encoded session data, and when it
-- expires. Expired rows are deleted by the store's cleanup.

CREATE TABLE quarry_sessions (
    token  VARCHAR(64) NOT NULL PRIMARY KEY COLLATE utf8mb4_bin,
    data   LONGBLOB    NOT NULL,
    expiry DATETIME(6) NOT NULL,
    INDEX quarry_sessions_expiry_idx (expiry)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
