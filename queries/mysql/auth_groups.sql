-- Groups, membership and the permissions granted to groups.

-- MySQL has no RETURNING: the new id comes from LAST_INSERT_ID().
-- name: GroupCreate :execlastid
INSERT INTO quarry_groups (name) VALUES (sqlc.arg(name));

-- name: GroupGetByName :one
SELECT * FROM quarry_groups WHERE name = sqlc.arg(name);

-- name: GroupList :many
SELECT * FROM quarry_groups ORDER BY name;

-- name: GroupDelete :execrows
DELETE FROM quarry_groups WHERE id = sqlc.arg(id);

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
