-- Users: accounts, credentials and flags (quarry_users).

-- name: UserCreate :one
INSERT INTO quarry_users (username, email, password_hash, is_active, is_staff, is_superuser, data)
VALUES (sqlc.arg(username), sqlc.arg(email), sqlc.arg(password_hash), sqlc.arg(is_active), sqlc.arg(is_staff), sqlc.arg(is_superuser), sqlc.arg(data))
RETURNING id;

-- name: UserGetByID :one
SELECT * FROM quarry_users WHERE id = sqlc.arg(id);

-- name: UserGetByUsername :one
SELECT * FROM quarry_users WHERE username = sqlc.arg(username);

-- name: UserList :many
SELECT * FROM quarry_users ORDER BY id LIMIT sqlc.arg('limit')::bigint OFFSET sqlc.arg('offset')::bigint;

-- name: UserCount :one
SELECT COUNT(*) FROM quarry_users;

-- name: UserUpdate :execrows
UPDATE quarry_users
SET email = sqlc.arg(email), is_active = sqlc.arg(is_active), is_staff = sqlc.arg(is_staff),
    is_superuser = sqlc.arg(is_superuser), data = sqlc.arg(data)
WHERE id = sqlc.arg(id);

-- name: UserSetPassword :execrows
UPDATE quarry_users SET password_hash = sqlc.arg(password_hash), password_changed_at = sqlc.arg(changed_at)
WHERE id = sqlc.arg(id);

-- name: UserSetLastLogin :execrows
UPDATE quarry_users SET last_login = sqlc.arg(last_login) WHERE id = sqlc.arg(id);

-- name: UserDelete :execrows
DELETE FROM quarry_users WHERE id = sqlc.arg(id);
