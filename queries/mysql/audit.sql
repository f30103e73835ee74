-- name: AuditLogInsert :exec
INSERT INTO quarry_audit_log (actor_id, action, table_name, object_id, changes, request_id, remote_addr)
VALUES (sqlc.arg(actor_id), sqlc.arg(action), sqlc.arg(table_name), sqlc.arg(object_id), sqlc.arg(changes), sqlc.arg(request_id), sqlc.arg(remote_addr));

-- Positional parameters: sqlc numbers named ones wrongly when a query
-- mixes them with the bare ? that LIMIT needs here.
-- name: AuditLogListForObject :many
SELECT * FROM quarry_audit_log
WHERE table_name = ? AND object_id = ?
ORDER BY created_at DESC, id DESC
LIMIT ?;

-- name: AuditLogListRecent :many
SELECT * FROM quarry_audit_log ORDER BY id DESC LIMIT ?;

-- name: AuditLogDeleteBefore :execrows
DELETE FROM quarry_audit_log WHERE created_at < sqlc.arg(before);
