-- Media (framework/media): the files, their collections (nested folders)
-- and tags. The lists read a fixed batch (MySQL's parser takes no named
-- parameter in LIMIT); the media package pages through them.

-- MySQL has no RETURNING: the new id comes from LAST_INSERT_ID().
-- name: MediaCreate :execlastid
INSERT INTO quarry_media (disk, object_key, filename, content_type, size, checksum, width, height, alt_text,
    is_public, owner_id, collection_id, status, created_at, updated_at)
VALUES (sqlc.arg(disk), sqlc.arg(object_key), sqlc.arg(filename), sqlc.arg(content_type), sqlc.arg(size),
    sqlc.arg(checksum), sqlc.narg(width), sqlc.narg(height), sqlc.arg(alt_text), sqlc.arg(is_public),
    sqlc.narg(owner_id), sqlc.narg(collection_id), sqlc.arg(status), sqlc.arg(now), sqlc.arg(now));

-- name: MediaGet :one
SELECT * FROM quarry_media WHERE id = sqlc.arg(id);

-- MediaMarkReady records what the checked bytes are; only a pending row
-- becomes ready.
-- name: MediaMarkReady :execrows
UPDATE quarry_media
SET status = 'ready', content_type = sqlc.arg(content_type), size = sqlc.arg(size), checksum = sqlc.arg(checksum),
    width = sqlc.narg(width), height = sqlc.narg(height), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND status = 'pending';

-- MediaUpdate renames, moves, describes or publishes a ready row.
-- name: MediaUpdate :execrows
UPDATE quarry_media
SET filename = sqlc.arg(filename), alt_text = sqlc.arg(alt_text), is_public = sqlc.arg(is_public),
    collection_id = sqlc.narg(collection_id), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND status = 'ready';

-- MediaMarkDeleted soft-deletes a ready row; the purge removes it and its
-- objects after the retention.
-- name: MediaMarkDeleted :execrows
UPDATE quarry_media SET status = 'deleted', deleted_at = sqlc.arg(deleted_at), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND status = 'ready';

-- MediaRestore undoes MediaMarkDeleted before the purge.
-- name: MediaRestore :execrows
UPDATE quarry_media SET status = 'ready', deleted_at = NULL, updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND status = 'deleted';

-- MediaDelete removes a row if it is still in the status its remover saw
-- (a concurrent finalize or restore keeps it).
-- name: MediaDelete :execrows
DELETE FROM quarry_media WHERE id = sqlc.arg(id) AND status = sqlc.arg(status);

-- MediaList pages through the rows of one status, newest first (keyset:
-- ids below before_id), at most 101 at a time. A zero collection_id or
-- tag_id filters nothing; type_pattern is a LIKE pattern without
-- wildcards but a trailing % ("image/%"); search is lower case text the
-- file name holds ("" for any).
-- name: MediaList :many
SELECT * FROM quarry_media m
WHERE m.status = sqlc.arg(status) AND m.id < sqlc.arg(before_id)
  AND (CAST(sqlc.arg(collection_id) AS SIGNED) = 0 OR m.collection_id = CAST(sqlc.arg(collection_id) AS SIGNED))
  AND (CAST(sqlc.arg(tag_id) AS SIGNED) = 0 OR EXISTS (
      SELECT 1 FROM quarry_media_tag_links l WHERE l.media_id = m.id AND l.tag_id = CAST(sqlc.arg(tag_id) AS SIGNED)))
  AND m.content_type LIKE sqlc.arg(type_pattern)
  AND INSTR(LOWER(m.filename), sqlc.arg(search)) > 0
ORDER BY m.id DESC
LIMIT 101;

-- MediaListStale lists what the purge removes: pending rows last touched
-- before pending_before, deleted rows deleted before deleted_before, by
-- id after after_id, 500 at a time.
-- name: MediaListStale :many
SELECT * FROM quarry_media
WHERE id > sqlc.arg(after_id)
  AND ((status = 'pending' AND updated_at < sqlc.arg(pending_before))
    OR (status = 'deleted' AND deleted_at < sqlc.arg(deleted_before)))
ORDER BY id
LIMIT 500;

-- MediaListKeys pages through the object keys a disk's rows name (every
-- status), by id, 1,000 at a time, for the orphan scan.
-- name: MediaListKeys :many
SELECT id, object_key FROM quarry_media
WHERE disk = sqlc.arg(disk) AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT 1000;

-- name: MediaCollectionCreate :execlastid
INSERT INTO quarry_media_collections (parent_id, name, created_at)
VALUES (sqlc.narg(parent_id), sqlc.arg(name), sqlc.arg(now));

-- name: MediaCollectionGet :one
SELECT * FROM quarry_media_collections WHERE id = sqlc.arg(id);

-- name: MediaCollectionList :many
SELECT * FROM quarry_media_collections ORDER BY name, id;

-- name: MediaCollectionUpdate :execrows
UPDATE quarry_media_collections SET parent_id = sqlc.narg(parent_id), name = sqlc.arg(name)
WHERE id = sqlc.arg(id);

-- MediaCollectionDelete deletes a collection and the ones under it; their
-- media stay, in no collection.
-- name: MediaCollectionDelete :execrows
DELETE FROM quarry_media_collections WHERE id = sqlc.arg(id);

-- MediaTagEnsure is idempotent: ensuring a tag twice is a no-op.
-- name: MediaTagEnsure :exec
INSERT INTO quarry_media_tags (name) VALUES (sqlc.arg(name))
ON DUPLICATE KEY UPDATE name = name;

-- name: MediaTagGetByName :one
SELECT * FROM quarry_media_tags WHERE name = sqlc.arg(name);

-- name: MediaTagList :many
SELECT * FROM quarry_media_tags ORDER BY name;

-- name: MediaTagDelete :execrows
DELETE FROM quarry_media_tags WHERE id = sqlc.arg(id);

-- MediaTagLinkAdd is idempotent.
-- name: MediaTagLinkAdd :exec
INSERT INTO quarry_media_tag_links (media_id, tag_id) VALUES (sqlc.arg(media_id), sqlc.arg(tag_id))
ON DUPLICATE KEY UPDATE tag_id = tag_id;

-- name: MediaTagLinkRemove :execrows
DELETE FROM quarry_media_tag_links WHERE media_id = sqlc.arg(media_id) AND tag_id = sqlc.arg(tag_id);

-- MediaTagLinksBetween lists the tags of the media whose ids lie in
-- [min_id, max_id] (a page of MediaList), by media and name.
-- name: MediaTagLinksBetween :many
SELECT l.media_id, t.id AS tag_id, t.name FROM quarry_media_tag_links l
JOIN quarry_media_tags t ON t.id = l.tag_id
WHERE l.media_id BETWEEN sqlc.arg(min_id) AND sqlc.arg(max_id)
ORDER BY l.media_id, t.name;
