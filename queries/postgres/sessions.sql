-- Sessions for scs: find a live one, write one, delete one, purge expired.

-- name: SessionFind :one
SELECT data, expiry FROM quarry_sessions WHERE token = sqlc.arg(token) AND expiry > sqlc.arg(now);

-- SessionFindUser is a live session of a logged-in user with the user's row
-- and the permissions version (NULL before any change), in one round trip.
-- An anonymous session (user_id NULL) is not found here.
-- name: SessionFindUser :one
SELECT s.data AS session_data, s.expiry, u.id, u.username, u.email, u.password_hash, u.is_active,
       u.is_staff, u.is_superuser, u.last_login, u.password_changed_at, u.created_at, u.data,
       v.version AS auth_version
FROM quarry_sessions s JOIN quarry_users u ON u.id = s.user_id
LEFT JOIN quarry_auth_version v ON v.id = 1
WHERE s.token = sqlc.arg(token) AND s.expiry > sqlc.arg(now);

-- SessionTouch moves a session's expiry (its idle timeout) without rewriting
-- its data.
-- name: SessionTouch :exec
UPDATE quarry_sessions SET expiry = sqlc.arg(expiry) WHERE token = sqlc.arg(token);

-- name: SessionCommit :exec
INSERT INTO quarry_sessions (token, data, expiry, user_id) VALUES (sqlc.arg(token), sqlc.arg(data), sqlc.arg(expiry), sqlc.narg(user_id))
ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry, user_id = EXCLUDED.user_id;

-- name: SessionDelete :exec
DELETE FROM quarry_sessions WHERE token = sqlc.arg(token);

-- name: SessionListLive :many
SELECT token, data FROM quarry_sessions WHERE expiry > sqlc.arg(now);

-- name: SessionDeleteExpired :execrows
DELETE FROM quarry_sessions WHERE expiry <= sqlc.arg(now);
