-- MySQL has no RETURNING: the id comes from LAST_INSERT_ID().
-- quarry:endpoint POST /api/q/authors perm=authors.add
-- name: AuthorCreate :execlastid
INSERT INTO authors (name, email, bio) VALUES (sqlc.arg(name), sqlc.arg(email), sqlc.arg(bio));

-- quarry:endpoint GET /api/q/authors/{id} public
-- name: AuthorGet :one
SELECT * FROM authors WHERE id = sqlc.arg(id);

-- quarry:endpoint GET /api/q/authors public
-- name: AuthorList :many
SELECT * FROM authors ORDER BY name, id;

-- MySQL has no RETURNING: the id comes from LAST_INSERT_ID().
-- name: PostCreate :execlastid
INSERT INTO posts (author_id, title, slug, body, published, published_at)
VALUES (sqlc.arg(author_id), sqlc.arg(title), sqlc.arg(slug), sqlc.arg(body), sqlc.arg(published), sqlc.arg(published_at));

-- name: PostGetBySlug :one
SELECT p.id, p.author_id, a.name AS author_name, p.title, p.slug, p.body, p.published, p.published_at, p.created_at
FROM posts p JOIN authors a ON a.id = p.author_id
WHERE p.slug = sqlc.arg(slug);

-- PostList pages through posts, newest first.
-- quarry:endpoint GET /api/q/posts public
-- quarry:admin "Recent posts" perm=posts.view
-- name: PostList :many
SELECT p.id, p.author_id, a.name AS author_name, p.title, p.slug, p.published, p.published_at, p.created_at
FROM posts p JOIN authors a ON a.id = p.author_id
ORDER BY p.created_at DESC, p.id DESC
LIMIT ? OFFSET ?;

-- quarry:endpoint GET /api/q/posts/count public
-- name: PostCount :one
SELECT COUNT(*) FROM posts;

-- quarry:endpoint DELETE /api/q/posts/{id} perm=posts.delete
-- name: PostDelete :execrows
DELETE FROM posts WHERE id = sqlc.arg(id);

-- PostPublish publishes the post at published_at unless it already is
-- published, and returns the number of rows changed (0 or 1).
-- quarry:endpoint POST /api/q/posts/{id}/publish perm=posts.change
-- name: PostPublish :execrows
UPDATE posts SET published = TRUE, published_at = sqlc.arg(published_at)
WHERE id = sqlc.arg(id) AND NOT published;

-- TagEnsure creates the tag unless it exists and returns its id either way.
-- MySQL has no ON CONFLICT or RETURNING: LAST_INSERT_ID(id) hands back the
-- existing row's id through the insert id.
-- name: TagEnsure :execlastid
INSERT INTO tags (name) VALUES (sqlc.arg(name))
ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id);

-- TagList lists every tag with the number of posts carrying it.
-- quarry:endpoint GET /api/q/tags public
-- quarry:admin "Tags by use" perm=tags.view
-- name: TagList :many
SELECT t.id, t.name, COUNT(pt.post_id) AS post_count
FROM tags t LEFT JOIN post_tags pt ON pt.tag_id = t.id
GROUP BY t.id, t.name
ORDER BY t.name;

-- name: PostTagAdd :exec
INSERT INTO post_tags (post_id, tag_id) VALUES (sqlc.arg(post_id), sqlc.arg(tag_id)) ON DUPLICATE KEY UPDATE tag_id = tag_id;

-- name: PostTagNames :many
SELECT t.name FROM tags t JOIN post_tags pt ON pt.tag_id = t.id
WHERE pt.post_id = sqlc.arg(post_id)
ORDER BY t.name;
