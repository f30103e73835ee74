-- The framework's audit tables for sqlite.
-- sql/sqlite/audit.sql is the model it must reproduce (tests/schema_test.go checks).

-- +goose Up
-- Audit log: who did what to which row, with the before/after values of the
-- changed fields in changes ({"field": [before, after], …}).

CREATE TABLE quarry_audit_log (
    id          INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    created_at  DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    actor_id    INTEGER,
    action      VARCHAR(32)  NOT NULL,
    table_name  VARCHAR(128) NOT NULL DEFAULT '',
    object_id   VARCHAR(255) NOT NULL DEFAULT '',
    changes     TEXT         NOT NULL DEFAULT '{}',
    request_id  VARCHAR(64)  NOT NULL DEFAULT '',
    remote_addr VARCHAR(64)  NOT NULL DEFAULT '',
    CONSTRAINT quarry_audit_log_actor_fk FOREIGN KEY (actor_id) REFERENCES quarry_users (id) ON DELETE SET NULL
);

CREATE INDEX quarry_audit_log_object_idx ON quarry_audit_log (table_name, object_id, created_at);
CREATE INDEX quarry_audit_log_actor_idx ON quarry_audit_log (actor_id, created_at);

-- +goose Down
DROP TABLE quarry_audit_log;
