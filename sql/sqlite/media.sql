-- Media (framework/media): files kept on a disk (framework/storage) and
-- described here. A row is pending from the moment its object may exist
-- (before an upload starts) until the bytes are checked, then ready; a
-- deleted row keeps its object until the purge removes both. object_key
-- is the object's key on disk; every object of a row lives under the
-- key's directory (thumbnails beside the original), so an object whose
-- directory no row names is an orphan.

CREATE TABLE quarry_media_collections (
    id         INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    parent_id  INTEGER,
    name       VARCHAR(200) NOT NULL,
    created_at DATETIME     NOT NULL,
    CONSTRAINT quarry_media_collections_parent_fk FOREIGN KEY (parent_id) REFERENCES quarry_media_collections (id) ON DELETE CASCADE
);

CREATE INDEX quarry_media_collections_parent_idx ON quarry_media_collections (parent_id, name);

CREATE TABLE quarry_media (
    id            INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    disk          VARCHAR(100) NOT NULL,
    object_key    VARCHAR(600) NOT NULL,
    filename      VARCHAR(255) NOT NULL,
    content_type  VARCHAR(255) NOT NULL,
    size          INTEGER      NOT NULL,
    checksum      VARCHAR(64)  NOT NULL,
    width         INTEGER,
    height        INTEGER,
    alt_text      VARCHAR(500) NOT NULL,
    is_public     BOOLEAN      NOT NULL,
    owner_id      INTEGER,
    collection_id INTEGER,
    status        VARCHAR(16)  NOT NULL,
    created_at    DATETIME     NOT NULL,
    updated_at    DATETIME     NOT NULL,
    deleted_at    DATETIME,
    CONSTRAINT quarry_media_status_check CHECK (status IN ('pending', 'ready', 'deleted')),
    CONSTRAINT quarry_media_size_check CHECK (size >= 0),
    CONSTRAINT quarry_media_owner_fk FOREIGN KEY (owner_id) REFERENCES quarry_users (id) ON DELETE SET NULL,
    CONSTRAINT quarry_media_collection_fk FOREIGN KEY (collection_id) REFERENCES quarry_media_collections (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX quarry_media_object_idx ON quarry_media (disk, object_key);
-- Listing the ready media, newest first.
CREATE INDEX quarry_media_status_idx ON quarry_media (status, id);
-- The purge: pending rows by age, deleted rows by deletion time.
CREATE INDEX quarry_media_status_updated_idx ON quarry_media (status, updated_at);
CREATE INDEX quarry_media_collection_idx ON quarry_media (collection_id);
CREATE INDEX quarry_media_owner_idx ON quarry_media (owner_id);

CREATE TABLE quarry_media_tags (
    id   INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    CONSTRAINT quarry_media_tags_name_key UNIQUE (name)
);

CREATE TABLE quarry_media_tag_links (
    media_id INTEGER NOT NULL,
    tag_id   INTEGER NOT NULL,
    PRIMARY KEY (media_id, tag_id),
    CONSTRAINT quarry_media_tag_links_media_fk FOREIGN KEY (media_id) REFERENCES quarry_media (id) ON DELETE CASCADE,
    CONSTRAINT quarry_media_tag_links_tag_fk FOREIGN KEY (tag_id) REFERENCES quarry_media_tags (id) ON DELETE CASCADE
);

CREATE INDEX quarry_media_tag_links_tag_idx ON quarry_media_tag_links (tag_id);
