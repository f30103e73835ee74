-- Identity: users, groups, permissions and the tables that link them.
-- Permission codenames are "<table>.<action>" (add, change, delete, view).
-- Names that identify (username, group name, codename) use utf8mb4_bin so
-- they compare case- and accent-sensitively, as on PostgreSQL and SQLite.

CREATE TABLE quarry_users (
    id                  BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username            VARCHAR(150) NOT NULL COLLATE utf8mb4_bin,
    email               VARCHAR(254) NOT NULL DEFAULT '',
    password_hash       VARCHAR(255) NOT NULL DEFAULT '',
    is_active           BOOLEAN      NOT NULL DEFAULT TRUE,
    is_staff            BOOLEAN      NOT NULL DEFAULT FALSE,
    is_superuser        BOOLEAN      NOT NULL DEFAULT FALSE,
    last_login          DATETIME(6)  NULL,
    password_changed_at DATETIME(6)  NULL,
    created_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    data                JSON         NOT NULL DEFAULT ('{}'),
    CONSTRAINT quarry_users_username_key UNIQUE (username),
    INDEX quarry_users_email_idx (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_groups (
    id   BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(150) NOT NULL COLLATE utf8mb4_bin,
    CONSTRAINT quarry_groups_name_key UNIQUE (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_permissions (
    id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    codename VARCHAR(255) NOT NULL COLLATE utf8mb4_bin,
    name     VARCHAR(255) NOT NULL DEFAULT '',
    CONSTRAINT quarry_permissions_codename_key UNIQUE (codename)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_user_groups (
    user_id  BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id),
    INDEX quarry_user_groups_group_idx (group_id),
    CONSTRAINT quarry_user_groups_user_fk FOREIGN KEY (user_id) REFERENCES quarry_users (id) ON DELETE CASCADE,
    CONSTRAINT quarry_user_groups_group_fk FOREIGN KEY (group_id) REFERENCES quarry_groups (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_group_permissions (
    group_id      BIGINT NOT NULL,
    permission_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, permission_id),
    INDEX quarry_group_permissions_permission_idx (permission_id),
    CONSTRAINT quarry_group_permissions_group_fk FOREIGN KEY (group_id) REFERENCES quarry_groups (id) ON DELETE CASCADE,
    CONSTRAINT quarry_group_permissions_permission_fk FOREIGN KEY (permission_id) REFERENCES quarry_permissions (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A direct grant (granted = TRUE) or an explicit denial (granted = FALSE),
-- which wins over every grant, direct or through a group.
CREATE TABLE quarry_user_permissions (
    user_id       BIGINT  NOT NULL,
    permission_id BIGINT  NOT NULL,
    granted       BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (user_id, permission_id),
    INDEX quarry_user_permissions_permission_idx (permission_id),
    CONSTRAINT quarry_user_permissions_user_fk FOREIGN KEY (user_id) REFERENCES quarry_users (id) ON DELETE CASCADE,
    CONSTRAINT quarry_user_permissions_permission_fk FOREIGN KEY (permission_id) REFERENCES quarry_permissions (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- quarry_auth_version counts changes to who may do what (direct grants and
-- denials, groups, memberships, group grants): a request reads it with its
-- session, and a permission set cached under an older version is not used.
-- One row (id 1), made by the first change (auth.Service.PermissionsChanged).
CREATE TABLE quarry_auth_version (
    id      BIGINT  NOT NULL PRIMARY KEY,
    version BIGINT  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
