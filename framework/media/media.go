package media

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/queries"
)

// Status is where a media row is in its life.
type Status string

// The statuses: a row is pending from before its bytes are stored until
// they are checked, then ready; deleted rows wait for the purge.
const (
	Pending Status = "pending"
	Ready   Status = "ready"
	Deleted Status = "deleted"
)

// Errors of the service. Each is wrapped with the detail that caused it;
// test with errors.Is.
var (
	// ErrNotFound: no media (or collection, or tag) has that id, or the
	// media is not in the status the operation needs.
	ErrNotFound = errors.New("media: not found")
	// ErrTooLarge: the file is larger than Options.MaxSize.
	ErrTooLarge = errors.New("media: file too large")
	// ErrTypeNotAllowed: the file's type, sniffed from its bytes, is not
	// one of Options.AllowedTypes.
	ErrTypeNotAllowed = errors.New("media: file type not allowed")
	// ErrTypeMismatch: the bytes are not of the type the client declared.
	ErrTypeMismatch = errors.New("media: file is not of its declared type")
	// ErrInvalid: an argument is malformed (an empty file, a bad name, a
	// size that does not match, a collection that would contain itself).
	ErrInvalid = errors.New("media: invalid")
	// ErrIncomplete: reading the upload's body failed before its end
	// (the client sent a truncated or malformed body).
	ErrIncomplete = errors.New("media: the upload was cut short")
	// ErrNotUploaded: finalize found no object: the client has not
	// uploaded it (yet).
	ErrNotUploaded = errors.New("media: the file has not been uploaded")
	// ErrNotOwner: the media belongs to another user.
	ErrNotOwner = errors.New("media: the upload belongs to another user")
	// ErrDirectUnsupported: the disk cannot take a direct upload (it has
	// no presigned PUT); upload through the server instead.
	ErrDirectUnsupported = errors.New("media: the disk does not take direct uploads")
)

// The permissions of media, the media table's (the admin's and the REST
// API's, framework/media/mediahttp) (auth.SeedPermissions creates them with every table's).
const (
	PermView   = "quarry_media.view"
	PermAdd    = "quarry_media.add"
	PermChange = "quarry_media.change"
	PermDelete = "quarry_media.delete"
)

// Media is one file and what is known of it.
type Media struct {
	ID       int64
	Disk     string
	Key      string
	Filename string
	// ContentType is sniffed from the bytes once the media is ready (the
	// client's declared type while it is pending).
	ContentType string
	Size        int64
	// Checksum is the hex SHA-256 of the bytes ("" while pending).
	Checksum string
	// Width and Height are an image's pixels; 0 for other files.
	Width, Height int64
	AltText       string
	// Public media are served from the disk's public URL (a CDN) when it
	// has one; private media only through short-lived signed URLs.
	Public       bool
	OwnerID      int64 // 0: none
	CollectionID int64 // 0: none
	Status       Status
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    time.Time // zero unless deleted
	// Tags are filled by List and Get.
	Tags []string
}

// IsImage reports whether the media is an image whose size was read.
func (m Media) IsImage() bool {
	return strings.HasPrefix(m.ContentType, "image/") && m.Width > 0 && m.Height > 0
}

// dir is the key directory every object of the media lives under.
func (m Media) dir() string { return path.Dir(m.Key) + "/" }

// DefaultAllowedTypes are the types accepted when Options.AllowedTypes is
// nil: raster images, PDF, plain text, common audio and video. SVG and
// HTML are not (they run scripts in a browser).
var DefaultAllowedTypes = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp",
	"application/pdf", "text/plain",
	"audio/mpeg", "audio/wave", "application/ogg", "video/mp4", "video/webm",
}

// sniffed are the types Sniff can return (the WHATWG algorithm's, as
// http.DetectContentType implements it), without parameters.
var sniffed = []string{
	"application/octet-stream", "application/ogg", "application/pdf", "application/postscript", "application/vnd.ms-fontobject",
	"application/wasm", "application/x-gzip", "application/x-rar-compressed", "application/zip", "audio/aiff", "audio/basic",
	"audio/midi", "audio/mpeg", "audio/wave", "font/collection", "font/otf", "font/ttf", "font/woff", "font/woff2",
	"image/bmp", "image/gif", "image/jpeg", "image/png", "image/webp", "image/x-icon", "text/html", "text/plain", "text/xml",
	"video/avi", "video/mp4", "video/webm",
}

// Options configure a Service. Zero values take the defaults given.
type Options struct {
	// Disk is the name of the disk new uploads go to; default
	// storage.DefaultDisk.
	Disk string
	// MaxSize is the largest file accepted, in bytes; default 32 MiB.
	MaxSize int64
	// AllowedTypes are the media types accepted, sniffed from the bytes
	// ("image/png"; "image/*" for a whole family); default
	// DefaultAllowedTypes.
	AllowedTypes []string
	// UploadTTL is how long a direct upload's presigned PUT lasts;
	// default 15 minutes.
	UploadTTL time.Duration
	// PendingRetention is how long a pending row (an upload never
	// finalized) is kept before the purge removes it and any object;
	// default 24 hours. Keep it longer than UploadTTL.
	PendingRetention time.Duration
	// DeletedRetention is how long a deleted media keeps its object (it
	// can be restored meanwhile); default 30 days.
	DeletedRetention time.Duration
	// URLTTL is how long the signed URL of a private media lasts; default
	// 5 minutes.
	URLTTL time.Duration
	// UploadTimeout is how long an upload through the REST handler may
	// take to arrive, beyond the server's read timeout; default 1 hour.
	UploadTimeout time.Duration
	// MaxPixels bounds the images the thumbnailer decodes (width ×
	// height), against decompression bombs; default 40 megapixels.
	MaxPixels int64
	// MaxDecodeBytes bounds the memory one decode may take (pixels ×
	// their bytes, by color model, doubled for decoders that keep two
	// buffers); default 512 MiB. Thumbnails are made one at a time.
	MaxDecodeBytes int64
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service stores, describes, lists and serves media. Every method takes
// the database handle to use (the request's, framework.DatabaseFrom, or a
// transaction) so that one Service serves every tenant; keys get the
// request's prefix (framework.KeyPrefix), so each tenant's objects live
// apart on a shared disk.
type Service struct {
	disks    *storage.Disks
	opts     Options
	allowed  []string
	thumbs   singleflight.Group // one making of each thumbnail at a time
	decoding chan struct{}      // one decode at a time
}

// New returns a Service over disks. It fails when the upload disk does
// not exist or an option is out of range.
func New(disks *storage.Disks, opts Options) (*Service, error) {
	if disks == nil {
		return nil, fmt.Errorf("%w: media.New needs the disks (storage.DisksFromEnv)", ErrInvalid)
	}
	if opts.Disk == "" {
		opts.Disk = storage.DefaultDisk
	}
	if _, err := disks.Disk(opts.Disk); err != nil {
		return nil, fmt.Errorf("media: upload disk: %w", err)
	}
	def := func(v *time.Duration, d time.Duration, name string) error {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			return fmt.Errorf("%w: %s is negative (%s)", ErrInvalid, name, *v)
		}
		return nil
	}
	for _, err := range []error{
		def(&opts.UploadTTL, 15*time.Minute, "UploadTTL"),
		def(&opts.PendingRetention, 24*time.Hour, "PendingRetention"),
		def(&opts.DeletedRetention, 30*24*time.Hour, "DeletedRetention"),
		def(&opts.URLTTL, 5*time.Minute, "URLTTL"),
		def(&opts.UploadTimeout, time.Hour, "UploadTimeout"),
	} {
		if err != nil {
			return nil, err
		}
	}
	if opts.PendingRetention <= opts.UploadTTL {
		return nil, fmt.Errorf("%w: PendingRetention (%s) must be longer than UploadTTL (%s), or uploads in flight are purged", ErrInvalid, opts.PendingRetention, opts.UploadTTL)
	}
	if opts.MaxSize < 0 || opts.MaxPixels < 0 || opts.MaxDecodeBytes < 0 {
		return nil, fmt.Errorf("%w: MaxSize, MaxPixels and MaxDecodeBytes may not be negative", ErrInvalid)
	}
	if opts.MaxDecodeBytes == 0 {
		opts.MaxDecodeBytes = 512 << 20
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = 32 << 20
	}
	if opts.MaxPixels == 0 {
		opts.MaxPixels = 40_000_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	allowed := opts.AllowedTypes
	if allowed == nil {
		allowed = DefaultAllowedTypes
	}
	for _, t := range allowed {
		if mt, _, err := parseType(t); err != nil || mt != t {
			return nil, fmt.Errorf("%w: AllowedTypes: %q is not a media type such as image/png or image/*", ErrInvalid, t)
		}
		if !strings.HasSuffix(t, "/*") && !slices.Contains(sniffed, t) {
			return nil, fmt.Errorf("%w: AllowedTypes: %s is never what a file's bytes are sniffed as, so no upload would match it (sniffed types: %s)", ErrInvalid, t, strings.Join(sniffed, ", "))
		}
	}
	opts.AllowedTypes = slices.Clone(allowed)
	return &Service{disks: disks, opts: opts, allowed: opts.AllowedTypes, decoding: make(chan struct{}, 1)}, nil
}

// Disks returns the disks the service stores on (for their Middleware,
// which serves their signed URLs).
func (s *Service) Disks() *storage.Disks { return s.disks }

// Options returns the service's options, defaults filled in.
func (s *Service) Options() Options { return s.opts }

// Allowed reports whether media type t ("image/png", without parameters)
// is accepted.
func (s *Service) Allowed(t string) bool {
	for _, a := range s.allowed {
		if a == t || (strings.HasSuffix(a, "/*") && strings.HasPrefix(t, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

// now is the clock, in UTC to the microsecond (what every database keeps).
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// disk returns the disk a media row names.
func (s *Service) disk(name string) (storage.Storage, error) { return s.disks.Disk(name) }

// q returns the framework's queries on h.
func q(h dialects.Handle) queries.Querier {
	db, d := h.Handle()
	return d.Queries(db)
}

// fromRow converts a row.
func fromRow(r queries.QuarryMedia) Media {
	m := Media{ID: r.ID, Disk: r.Disk, Key: r.ObjectKey, Filename: r.Filename, ContentType: r.ContentType,
		Size: r.Size, Checksum: r.Checksum, Width: r.Width.Int64, Height: r.Height.Int64, AltText: r.AltText,
		Public: r.IsPublic, OwnerID: r.OwnerID.Int64, CollectionID: r.CollectionID.Int64, Status: Status(r.Status),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.DeletedAt.Valid {
		m.DeletedAt = r.DeletedAt.Time.UTC()
	}
	return m
}

// nullID is id as a nullable column (0: NULL).
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// notFound maps the store's not-found to the service's, naming what.
func notFound(err error, what string, id int64) error {
	if errors.Is(err, queries.ErrNotFound) {
		return fmt.Errorf("%w: %s %d", ErrNotFound, what, id)
	}
	return err
}

// nullTime is t as a nullable column.
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }
