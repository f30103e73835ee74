// Package media keeps an app's uploaded files: objects on a disk
// (framework/storage) described by rows of the framework's media tables
// (quarry_media, its collections and tags), on every dialect and in every
// tenant's database.
//
// A [Service] uploads through the server ([Service.Upload]: streamed,
// typed by its bytes, checksummed) or directly to the disk
// ([Service.Begin], then [Service.Finalize]); lists, edits, tags and
// files media in nested collections; serves them through public or
// signed URLs and thumbnails; and removes what was deleted or never
// finished ([Service.Purge], [Service.Orphans]). Package mediahttp serves
// it as a REST API; the admin shows it as a media library. See
// docs/media.md.
package media
