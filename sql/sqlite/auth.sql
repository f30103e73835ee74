-- Identity: users, groups, permissions and the tables that link them.
-- Permission codenames are "<table>.<action>" (add, change, delete, view).

CREATE TABLE quarry_users (
    id                  INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    username            VARCHAR(150) NOT NULL,
    email               VARCHAR(254) NOT NULL DEFAULT '',
    password_hash       VARCHAR(255) NOT NULL DEFAULT '',
    is_active           BOOLEAN      NOT NULL DEFAULT TRUE,
    is_staff            BOOLEAN      NOT NULL DEFAULT FALSE,
    is_superuser        BOOLEAN      NOT NULL DEFAULT FALSE,
    last_login          DATETIME,
    password_changed_at DATETIME,
    created_at          DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    data                TEXT         NOT NULL DEFAULT '{}',
    CONSTRAINT quarry_users_username_key UNIQUE (username)
);

CREATE INDEX quarry_users_email_idx ON quarry_users (email);

CREATE TABLE quarry_groups (
    id   INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(150) NOT NULL,
    CONSTRAINT quarry_groups_name_key UNIQUE (name)
);

CREATE TABLE quarry_permissions (
    id       INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    codename VARCHAR(255) NOT NULL,
    name     VARCHAR(255) NOT NULL DEFAULT '',
    CONSTRAINT quarry_permissions_codename_key UNIQUE (codename)
);

CREATE TABLE quarry_user_groups (
    user_id  INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, group_id),
    CONSTRAINT quarry_user_groups_user_fk FOREIGN KEY (user_id) REFERENCES quarry_users (id) ON DELETE CASCADE,
    CONSTRAINT quarry_user_groups_group_fk FOREIGN KEY (group_id) REFERENCES quarry_groups (id) ON DELETE CASCADE
);

CREATE INDEX quarry_user_groups_group_idx ON quarry_user_groups (group_id);

CREATE TABLE quarry_group_permissions (
    group_id      INTEGER NOT NULL,
    permission_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, permission_id),
    CONSTRAINT quarry_group_permissions_group_fk FOREIGN KEY (group_id) REFERENCES quarry_groups (id) ON DELETE CASCADE,
    CONSTRAINT quarry_group_permissions_permission_fk FOREIGN KEY (permission_id) REFERENCES quarry_permissions (id) ON DELETE CASCADE
);

CREATE INDEX quarry_group_permissions_permission_idx ON quarry_group_permissions (permission_id);

-- A direct grant (granted = TRUE) or an explicit denial (granted = FALSE),
-- which wins over every grant, direct or through a group.
CREATE TABLE quarry_user_permissions (
    user_id       INTEGER NOT NULL,
    permission_id INTEGER NOT NULL,
    granted       BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (user_id, permission_id),
    CONSTRAINT quarry_user_permissions_user_fk FOREIGN KEY (user_id) REFERENCES quarry_users (id) ON DELETE CASCADE,
    CONSTRAINT quarry_user_permissions_permission_fk FOREIGN KEY (permission_id) REFERENCES quarry_permissions (id) ON DELETE CASCADE
);

CREATE INDEX quarry_user_permissions_permission_idx ON quarry_user_permissions (permission_id);

-- quarry_auth_version counts changes to who may do what (direct grants and
-- denials, groups, memberships, group grants): a request reads it with its
-- session, and a permission set cached under an older version is not used.
-- One row (id 1), made by the first change (auth.Service.PermissionsChanged).
CREATE TABLE quarry_auth_version (
    id      INTEGER NOT NULL PRIMARY KEY,
    version BIGINT  NOT NULL
);
