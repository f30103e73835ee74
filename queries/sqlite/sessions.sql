-- Sessions for scs: find a live one, write one, delete one, purge expired.

-- name: SessionFind :one
SELECT data FROM quarry_sessions WHERE token = sqlc.arg(token) AND expiry > sqlc.arg(now);

-- name: SessionCommit :exec
INSERT INTO quarry_sessions (token, data, expiry) VALUES (sqlc.arg(token), sqlc.arg(data), sqlc.arg(expiry))
ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry;

-- name: SessionDelete :exec
DELETE FROM quarry_sessions WHERE token = sqlc.arg(token);

-- name: SessionListLive :many
SELECT token, data FROM quarry_sessions WHERE expiry > sqlc.arg(now);

-- name: SessionDeleteExpired :execrows
DELETE FROM quarry_sessions WHERE expiry <= sqlc.arg(now);
