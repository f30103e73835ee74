-- MySQL has no RETURNING: the new id comes from LAST_INSERT_ID().
-- name: UserCreate :execlastid
INSERT INTO quarry_users (username, email, password_hash, is_active, is_staff, is_superuser, data)
VALUES (sqlc.arg(username), sqlc.arg(email), sqlc.arg(password_hash), sqlc.arg(is_active), sqlc.arg(is_staff), sqlc.arg(is_superuser), sqlc.arg(data));

-- name: UserGetByID :one
SELECT * FROM quarry_users WHERE id = sqlc.arg(id);

-- name: UserGetByUsername :one
SELECT * FROM quarry_users WHERE username = sqlc.arg(username);

-- name: UserList :many
SELECT * FROM quarry_users ORDER BY id LIMIT ? OFFSET ?;

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

-- MySQL has no RETURNING: the new id comes from LAST_INSERT_ID().
-- name: GroupCreate :execlastid
INSERT INTO quarry_groups (name) VALUES (sqlc.arg(name));

-- name: GroupGetByName :one
SELECT * FROM quarry_groups WHERE name = sqlc.arg(name);

-- name: GroupList :many
SELECT * FROM quarry_groups ORDER BY name;

-- name: GroupDelete :execrows
DELETE FROM quarry_groups WHERE id = sqlc.arg(id);

-- PermissionEnsure is idempotent: seeding the same codename twice is a no-op.
-- MySQL has no ON CONFLICT; a no-op ON DUPLICATE KEY UPDATE keeps the row.
-- name: PermissionEnsure :exec
INSERT INTO quarry_permissions (codename, name) VALUES (sqlc.arg(codename), sqlc.arg(name))
ON DUPLICATE KEY UPDATE codename = codename;

-- name: PermissionGetByCodename :one
SELECT * FROM quarry_permissions WHERE codename = sqlc.arg(codename);

-- name: PermissionList :many
SELECT * FROM quarry_permissions ORDER BY codename;

-- name: UserGroupAdd :exec
INSERT INTO quarry_user_groups (user_id, group_id) VALUES (sqlc.arg(user_id), sqlc.arg(group_id))
ON DUPLICATE KEY UPDATE user_id = user_id;

-- name: UserGroupRemove :execrows
DELETE FROM quarry_user_groups WHERE user_id = sqlc.arg(user_id) AND group_id = sqlc.arg(group_id);

-- name: UserGroupList :many
SELECT g.* FROM quarry_groups g
JOIN quarry_user_groups ug ON ug.group_id = g.id
WHERE ug.user_id = sqlc.arg(user_id)
ORDER BY g.name;

-- name: GroupPermissionAdd :exec
INSERT INTO quarry_group_permissions (group_id, permission_id) VALUES (sqlc.arg(group_id), sqlc.arg(permission_id))
ON DUPLICATE KEY UPDATE group_id = group_id;

-- name: GroupPermissionRemove :execrows
DELETE FROM quarry_group_permissions WHERE group_id = sqlc.arg(group_id) AND permission_id = sqlc.arg(permission_id);

-- UserPermissionSet grants (granted = true) or denies (granted = false) a
-- permission directly, replacing an earlier grant or denial.
-- name: UserPermissionSet :exec
INSERT INTO quarry_user_permissions (user_id, permission_id, granted)
VALUES (sqlc.arg(user_id), sqlc.arg(permission_id), sqlc.arg(granted))
ON DUPLICATE KEY UPDATE granted = VALUES(granted);

-- name: UserPermissionRemove :execrows
DELETE FROM quarry_user_permissions WHERE user_id = sqlc.arg(user_id) AND permission_id = sqlc.arg(permission_id);

-- UserPermissionCodenames is the user's effective permission set: granted
-- directly or through a group, minus explicit denials. Superuser status is
-- the caller's to check. (The user id is bound once and correlated through
-- u.id, because MySQL's placeholders cannot be reused.)
-- name: UserPermissionCodenames :many
SELECT p.codename
FROM quarry_users u CROSS JOIN quarry_permissions p
WHERE u.id = sqlc.arg(user_id)
  AND (
    EXISTS (SELECT 1 FROM quarry_user_permissions up
            WHERE up.permission_id = p.id AND up.user_id = u.id AND up.granted)
    OR EXISTS (SELECT 1 FROM quarry_group_permissions gp
               JOIN quarry_user_groups ug ON ug.group_id = gp.group_id
               WHERE gp.permission_id = p.id AND ug.user_id = u.id)
  )
  AND NOT EXISTS (SELECT 1 FROM quarry_user_permissions ud
                  WHERE ud.permission_id = p.id AND ud.user_id = u.id AND NOT ud.granted)
ORDER BY p.codename;
