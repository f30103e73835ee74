-- Permissions ("<table>.<action>") and direct grants or denials to users.

-- PermissionEnsure is idempotent: seeding the same codename twice is a no-op.
-- name: PermissionEnsure :exec
INSERT INTO quarry_permissions (codename, name) VALUES (sqlc.arg(codename), sqlc.arg(name))
ON CONFLICT (codename) DO NOTHING;

-- name: PermissionGetByCodename :one
SELECT * FROM quarry_permissions WHERE codename = sqlc.arg(codename);

-- name: PermissionList :many
SELECT * FROM quarry_permissions ORDER BY codename;

-- UserPermissionSet grants (granted = true) or denies (granted = false) a
-- permission directly, replacing an earlier grant or denial.
-- name: UserPermissionSet :exec
INSERT INTO quarry_user_permissions (user_id, permission_id, granted)
VALUES (sqlc.arg(user_id), sqlc.arg(permission_id), sqlc.arg(granted))
ON CONFLICT (user_id, permission_id) DO UPDATE SET granted = EXCLUDED.granted;

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

-- AuthVersionBump records a change to grants, denials, groups or
-- memberships, so that cached permission sets are read again.
-- name: AuthVersionBump :exec
INSERT INTO quarry_auth_version (id, version) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET version = quarry_auth_version.version + 1;

-- name: AuthVersionGet :one
SELECT version FROM quarry_auth_version WHERE id = 1;
