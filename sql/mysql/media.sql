-- Media (framework/media): files kept on a disk (framework/storage) and
-- described here. A row is pending from the moment its object may exist
-- (before an upload starts) until the bytes are checked, then ready; a
-- deleted row keeps its object until the purge removes both. object_key
-- is the object's key on disk; every object of a row lives under the
-- key's directory (thumbnails beside the original), so an object whose
-- directory no row names is an orphan.

CREATE TABLE quarry_media_collections (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    parent_id  BIGINT       NULL,
    name       VARCHAR(200) NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    INDEX quarry_media_collections_parent_idx (parent_id, name),
    CONSTRAINT quarry_media_collections_parent_fk FOREIGN KEY (parent_id) REFERENCES quarry_media_collections (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_media (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    disk          VARCHAR(100) NOT NULL COLLATE utf8mb4_bin,
    object_key    VARCHAR(600) NOT NULL COLLATE utf8mb4_bin,
    filename      VARCHAR(255) NOT NULL,
    content_type  VARCHAR(255) NOT NULL,
    size          BIGINT       NOT NULL,
    checksum      VARCHAR(64)  NOT NULL,
    width         BIGINT       NULL,
    height        BIGINT       NULL,
    alt_text      VARCHAR(500) NOT NULL,
    is_public     BOOLEAN      NOT NULL,
    owner_id      BIGINT       NULL,
    collection_id BIGINT       NULL,
    status        VARCHAR(16)  NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    deleted_at    DATETIME(6)  NULL,
    UNIQUE INDEX quarry_media_object_idx (disk, object_key),
    INDEX quarry_media_status_idx (status, id),
    INDEX quarry_media_status_updated_idx (status, updated_at),
    INDEX quarry_media_collection_idx (collection_id),
    INDEX quarry_media_owner_idx (owner_id),
    CONSTRAINT quarry_media_status_check CHECK (status IN ('pending', 'ready', 'deleted')),
    CONSTRAINT quarry_media_size_check CHECK (size >= 0),
    CONSTRAINT quarry_media_owner_fk FOREIGN KEY (owner_id) REFERENCES quarry_users (id) ON DELETE SET NULL,
    CONSTRAINT quarry_media_collection_fk FOREIGN KEY (collection_id) REFERENCES quarry_media_collections (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_media_tags (
    id   BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) NOT NULL COLLATE utf8mb4_bin,
    CONSTRAINT quarry_media_tags_name_key UNIQUE (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_media_tag_links (
    media_id BIGINT NOT NULL,
    tag_id   BIGINT NOT NULL,
    PRIMARY KEY (media_id, tag_id),
    INDEX quarry_media_tag_links_tag_idx (tag_id),
    CONSTRAINT quarry_media_tag_links_media_fk FOREIGN KEY (media_id) REFERENCES quarry_media (id) ON DELETE CASCADE,
    CONSTRAINT quarry_media_tag_links_tag_fk FOREIGN KEY (tag_id) REFERENCES quarry_media_tags (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

