-- The blog's models: authors write posts; posts carry tags and may have a
-- cover image from the framework's media library (quarry_media).

CREATE TABLE authors (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(200) NOT NULL,
    email      VARCHAR(254) NOT NULL,
    bio        MEDIUMTEXT   NOT NULL,
    created_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT authors_email_key UNIQUE (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE posts (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    author_id    BIGINT       NOT NULL,
    title        VARCHAR(200) NOT NULL,
    slug         VARCHAR(200) NOT NULL,
    body         MEDIUMTEXT   NOT NULL,
    published    BOOLEAN      NOT NULL DEFAULT FALSE,
    published_at DATETIME(6),
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    cover_id     BIGINT,
    CONSTRAINT posts_slug_key UNIQUE (slug),
    INDEX posts_author_idx (author_id, created_at),
    INDEX posts_cover_idx (cover_id),
    CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) ON DELETE CASCADE,
    CONSTRAINT posts_cover_fk FOREIGN KEY (cover_id) REFERENCES quarry_media (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE tags (
    id   BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    CONSTRAINT tags_name_key UNIQUE (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL,
    tag_id  BIGINT NOT NULL,
    PRIMARY KEY (post_id, tag_id),
    INDEX post_tags_tag_idx (tag_id),
    CONSTRAINT post_tags_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
    CONSTRAINT post_tags_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
