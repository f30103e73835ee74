-- The blog's models: authors write posts; posts carry tags and may have a
-- cover image from the framework's media library (quarry_media).
-- Foreign keys are table constraints: sqlc's SQLite parser types a column
-- with an inline REFERENCES clause as interface{}.

CREATE TABLE authors (
    id         INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    name       VARCHAR(200) NOT NULL,
    email      VARCHAR(254) NOT NULL,
    bio        TEXT         NOT NULL,
    created_at DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT authors_email_key UNIQUE (email)
);

CREATE TABLE posts (
    id           INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    author_id    INTEGER      NOT NULL,
    title        VARCHAR(200) NOT NULL,
    slug         VARCHAR(200) NOT NULL,
    body         TEXT         NOT NULL,
    published    BOOLEAN      NOT NULL DEFAULT FALSE,
    published_at DATETIME,
    created_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    cover_id     INTEGER,
    CONSTRAINT posts_slug_key UNIQUE (slug),
    CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) ON DELETE CASCADE,
    CONSTRAINT posts_cover_fk FOREIGN KEY (cover_id) REFERENCES quarry_media (id) ON DELETE SET NULL
);

CREATE INDEX posts_author_idx ON posts (author_id, created_at);
CREATE INDEX posts_cover_idx ON posts (cover_id);

CREATE TABLE tags (
    id   INTEGER     NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(64) NOT NULL,
    CONSTRAINT tags_name_key UNIQUE (name)
);

CREATE TABLE post_tags (
    post_id INTEGER NOT NULL,
    tag_id  INTEGER NOT NULL,
    PRIMARY KEY (post_id, tag_id),
    CONSTRAINT post_tags_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
    CONSTRAINT post_tags_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
);

CREATE INDEX post_tags_tag_idx ON post_tags (tag_id);
