-- The framework's audit tables for mysql.
-- sql/mysql/audit.sql is the model it must reproduce (tests/schema_test.go checks).
-- MySQL commits each DDL statement on its own, so this migration is not
-- atomic; IF NOT EXISTS lets a rerun continue after a partial failure.

-- +goose Up
-- Audit log: who did what to which row, with the before/after values of the
-- changed fields in changes ({"field": [before, after], …}).

CREATE TABLE IF NOT EXISTS quarry_audit_log (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor_id    BIGINT       NULL,
    action      VARCHAR(32)  NOT NULL,
    table_name  VARCHAR(128) NOT NULL DEFAULT '',
    object_id   VARCHAR(255) NOT NULL DEFAULT '',
    changes     JSON         NOT NULL DEFAULT ('{}'),
    request_id  VARCHAR(64)  NOT NULL DEFAULT '',
    remote_addr VARCHAR(64)  NOT NULL DEFAULT '',
    INDEX quarry_audit_log_object_idx (table_name, object_id, created_at),
    INDEX quarry_audit_log_actor_idx (actor_id, created_at),
    CONSTRAINT quarry_audit_log_actor_fk FOREIGN KEY (actor_id) REFERENCES quarry_users (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS quarry_audit_log;
