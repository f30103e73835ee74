// Package storage keeps the files an app stores — avatars, attachments,
// product images — on named disks behind one small interface, [Storage]:
// streaming put and get (with byte ranges), stat, delete, listing by
// prefix, public URLs and presigned GET and PUT URLs that let a browser
// fetch or upload an object without the bytes passing through the app.
//
// Backends: [Local] (a directory, writes atomic, paths confined to it)
// and [Memory] (tests). Every backend passes the same conformance suite,
// storagetest.Run. Disks are named in configuration
// (QUARRY_STORAGE_<NAME>_URL, see [DisksFromEnv]); the default disk is
// file:./var/media.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of every backend; wrap-checked with errors.Is.
var (
	// ErrNotFound: no object has that key.
	ErrNotFound = errors.New("storage: no such object")
	// ErrInvalidKey: the key is not one a disk accepts (see ValidateKey);
	// the error says why.
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrTooLarge: the body is larger than PutOptions.MaxSize (nothing
	// was stored).
	ErrTooLarge = errors.New("storage: object too large")
	// ErrUnsupported: the disk cannot do that (a presigned URL on a disk
	// without a signer, say); the error says what and why.
	ErrUnsupported = errors.New("storage: unsupported")
	// ErrBadRange: the byte range lies outside the object.
	ErrBadRange = errors.New("storage: range not satisfiable")
)

// MaxKeyLen is the longest key, in bytes (S3's limit).
const MaxKeyLen = 1024

// Object describes a stored object.
type Object struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
	// ETag identifies this version of the object's bytes (quoted, as in
	// an HTTP header).
	ETag string
}

// PutOptions describe a body being stored.
type PutOptions struct {
	// ContentType is the body's media type ("" for
	// application/octet-stream). Local derives it from the key's
	// extension instead (a directory keeps no metadata).
	ContentType string
	// MaxSize, when positive, is the most bytes the body may have: the
	// put stops reading one byte past it and fails with ErrTooLarge,
	// storing nothing.
	MaxSize int64
}

// Range is a byte range of an object: Length bytes from Offset; Length
// < 0 reads to the end.
type Range struct {
	Offset, Length int64
}

// PutConditions bound what a presigned PUT accepts.
type PutConditions struct {
	// ContentType, when set, is the Content-Type the upload must carry.
	ContentType string
	// MaxSize, when positive, is the largest body accepted. S3 cannot
	// bound a presigned PUT's size: there give Size too.
	MaxSize int64
	// Size, when positive, is the body's exact size (the client said it
	// before asking for the URL); an upload of another size is refused.
	Size int64
}

// PresignedPut is what a client needs to upload: PUT the body to URL with
// the headers given, before Expires.
type PresignedPut struct {
	URL     string
	Method  string
	Headers map[string]string
	Expires time.Time
}

// Storage is a disk: a flat space of keys ("avatars/42/me.png": segments
// separated by "/") holding objects. Implementations are safe for
// concurrent use.
type Storage interface {
	// Put stores r's bytes under key, replacing what was there; readers
	// see the old object or the new one, never a part. It reads r to
	// the end (or to MaxSize + 1 bytes) without holding it in memory.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error)
	// Get opens the object (rng nil: all of it; else that range, which
	// must start inside the object: ErrBadRange). The caller closes it.
	Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, Object, error)
	// Stat describes the object, or fails with ErrNotFound.
	Stat(ctx context.Context, key string) (Object, error)
	// Delete removes the object; deleting a missing key is no error.
	Delete(ctx context.Context, key string) error
	// List yields the objects whose keys start with prefix, by key.
	List(ctx context.Context, prefix string) iter.Seq2[Object, error]
	// PublicURL is the object's URL on the disk's public base (a CDN),
	// or ErrUnsupported when the disk has none.
	PublicURL(key string) (string, error)
	// PresignGet returns a URL that serves the object for ttl.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
	// PresignPut returns what a client needs to upload the object
	// itself within ttl, under conditions c.
	PresignPut(ctx context.Context, key string, ttl time.Duration, c PutConditions) (PresignedPut, error)
}

// Exists reports whether s holds key.
func Exists(ctx context.Context, s Storage, key string) (bool, error) {
	_, err := s.Stat(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ValidateKey checks a key: 1 to MaxKeyLen bytes of UTF-8 without control
// characters or backslashes, segments separated by single "/", none
// empty, "." or "..", no leading or trailing "/", and not under the
// disks' reserved ".quarry/" prefix. The error wraps ErrInvalidKey and
// says which rule the key breaks.
func ValidateKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %q %s", ErrInvalidKey, truncate(key), why)
	}
	switch {
	case key == "":
		return fmt.Errorf("%w: the key is empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("is %d bytes long, more than %d", len(key), MaxKeyLen))
	case !utf8.ValidString(key):
		return bad("is not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad("starts with /: keys are relative")
	case strings.HasSuffix(key, "/"):
		return bad("ends with /")
	case strings.Contains(key, "\\"):
		return bad(`holds a backslash`)
	case key == reservedDir || strings.HasPrefix(key, reservedDir+"/"):
		return bad("is under " + reservedDir + "/, which disks keep for themselves")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return bad(fmt.Sprintf("holds the control character %U", r))
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return bad("has an empty segment (//)")
		case ".", "..":
			return bad("has a " + seg + " segment")
		}
	}
	return nil
}

// reservedDir is the key prefix disks keep for themselves (Local's
// temporary files).
const reservedDir = ".quarry"

// validatePrefix checks a List prefix: "" (everything) or a key's start.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	// A prefix ending in "/" names a directory: check it as a key without
	// the slash; any other prefix is a key's start.
	return ValidateKey(strings.TrimSuffix(prefix, "/"))
}

func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}

// limitedCopy copies r into w, failing with ErrTooLarge once more than
// max bytes arrive (max <= 0: no limit), and returns the bytes copied.
func limitedCopy(w io.Writer, r io.Reader, max int64) (int64, error) {
	return io.Copy(w, &limitReader{r: r, max: max})
}

// limitReader fails once more than max bytes (max > 0) have been read.
type limitReader struct {
	r    io.Reader
	max  int64
	n    int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.max > 0 {
		// Ask the source for no more than one byte past the limit, however
		// large the part buffer being filled.
		if rem := l.max + 1 - l.n; int64(len(p)) > rem {
			p = p[:max(rem, 0)]
		}
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.max > 0 && l.n > l.max {
		l.over = true
		return 0, l.tooLarge()
	}
	return n, err
}

func (l *limitReader) tooLarge() error {
	return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, l.max)
}

// checkRange checks rng against an object of size and returns the
// offset and length to read.
func checkRange(rng *Range, size int64) (off, n int64, err error) {
	if rng == nil {
		return 0, size, nil
	}
	if rng.Offset < 0 || rng.Offset > size || (rng.Offset == size && size > 0) {
		return 0, 0, fmt.Errorf("%w: offset %d of an object of %d bytes", ErrBadRange, rng.Offset, size)
	}
	n = size - rng.Offset
	if rng.Length >= 0 && rng.Length < n {
		n = rng.Length
	}
	return rng.Offset, n, nil
}
