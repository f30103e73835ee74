package media

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the image types whose size is read
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	_ "golang.org/x/image/webp" // webp's size

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/queries"
)

// UploadInput describes a file uploaded through the server.
type UploadInput struct {
	// Filename is the client's name for the file; it is normalised (see
	// NormalizeFilename).
	Filename string
	// ContentType is the type the client declared; "" or
	// application/octet-stream when it did not know. A declared type
	// that the bytes contradict is refused (ErrTypeMismatch).
	ContentType  string
	OwnerID      int64
	CollectionID int64
	Public       bool
	AltText      string
	Tags         []string
}

// Upload stores r's bytes as a new media and returns it, ready. The bytes
// stream to the disk (never all in memory); their type is sniffed from
// the first 512 bytes before anything is stored, their SHA-256 computed on
// the way, and an image's size read back from the disk. A failure leaves
// no ready row and no object: the row is pending until the bytes are
// checked, and removed with its object on any error.
func (s *Service) Upload(ctx context.Context, h dialects.Handle, r io.Reader, in UploadInput) (Media, error) {
	meta, err := s.checkMeta(in.Filename, in.AltText, in.Tags)
	if err != nil {
		return Media{}, err
	}
	src := &sourceReader{r: r}
	br := bufio.NewReaderSize(src, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return Media{}, src.failed(err)
	}
	if len(head) == 0 {
		return Media{}, fmt.Errorf("%w: the file is empty", ErrInvalid)
	}
	ct := Sniff(head)
	if err := s.checkType(ct, in.ContentType); err != nil {
		return Media{}, err
	}
	m, err := s.createPending(ctx, h, meta, ct, 0, in.OwnerID, in.CollectionID, in.Public)
	if err != nil {
		return Media{}, err
	}
	fail := func(err error) (Media, error) { return Media{}, errors.Join(err, s.discard(ctx, h, m)) }
	disk, err := s.disk(m.Disk)
	if err != nil {
		return fail(err)
	}
	sum := sha256.New()
	obj, err := disk.Put(ctx, m.Key, io.TeeReader(br, sum), storage.PutOptions{ContentType: ct, MaxSize: s.opts.MaxSize})
	if errors.Is(err, storage.ErrTooLarge) {
		return fail(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.opts.MaxSize))
	}
	if src.err != nil {
		return fail(src.failed(err))
	}
	if err != nil {
		return fail(fmt.Errorf("media: storing the file: %w", err))
	}
	var width, height int64
	if decodable(ct) {
		if width, height, err = s.readSize(ctx, disk, m.Key, ct); err != nil {
			return fail(err)
		}
	}
	// The tags first: the row turns ready last, so that a failure before
	// leaves a pending row (removed here, or by the purge), never a ready
	// one the client was told failed.
	if err := s.setTags(ctx, h, m.ID, meta.tags); err != nil {
		return fail(err)
	}
	if err := s.markReady(ctx, h, m.ID, ct, obj.Size, hex.EncodeToString(sum.Sum(nil)), width, height); err != nil {
		return fail(err)
	}
	return s.Get(ctx, h, m.ID)
}

// BeginInput describes a file the browser will upload to the disk itself.
type BeginInput struct {
	Filename string
	// ContentType and Size are what the client says the file is; the
	// presigned PUT accepts only that type and that size, and Finalize
	// checks the bytes against them.
	ContentType  string
	Size         int64
	OwnerID      int64
	CollectionID int64
	Public       bool
	AltText      string
	Tags         []string
}

// Begin starts a direct upload: it records a pending media and returns it
// with the presigned PUT the client sends the bytes with (to the disk,
// not through the app), to a staging key beside the media's own. Call
// Finalize once the PUT succeeded. A disk without presigned PUTs gives
// ErrDirectUnsupported.
func (s *Service) Begin(ctx context.Context, h dialects.Handle, in BeginInput) (Media, storage.PresignedPut, error) {
	meta, err := s.checkMeta(in.Filename, in.AltText, in.Tags)
	if err != nil {
		return Media{}, storage.PresignedPut{}, err
	}
	ct, _, err := parseType(in.ContentType)
	switch {
	case err != nil || ct == "application/octet-stream":
		return Media{}, storage.PresignedPut{}, fmt.Errorf("%w: a direct upload needs the file's content type (got %q)", ErrInvalid, in.ContentType)
	case !s.Allowed(ct):
		return Media{}, storage.PresignedPut{}, fmt.Errorf("%w: %s (allowed: %s)", ErrTypeNotAllowed, ct, strings.Join(s.allowed, ", "))
	case in.Size <= 0:
		return Media{}, storage.PresignedPut{}, fmt.Errorf("%w: a direct upload needs the file's size in bytes (got %d)", ErrInvalid, in.Size)
	case in.Size > s.opts.MaxSize:
		return Media{}, storage.PresignedPut{}, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, in.Size, s.opts.MaxSize)
	}
	m, err := s.createPending(ctx, h, meta, ct, in.Size, in.OwnerID, in.CollectionID, in.Public)
	if err != nil {
		return Media{}, storage.PresignedPut{}, err
	}
	fail := func(err error) (Media, storage.PresignedPut, error) {
		return Media{}, storage.PresignedPut{}, errors.Join(err, s.discard(ctx, h, m))
	}
	disk, err := s.disk(m.Disk)
	if err != nil {
		return fail(err)
	}
	put, err := disk.PresignPut(ctx, m.staging(), s.opts.UploadTTL, storage.PutConditions{ContentType: ct, Size: in.Size, MaxSize: s.opts.MaxSize})
	if errors.Is(err, storage.ErrUnsupported) {
		return fail(fmt.Errorf("%w (disk %q)", ErrDirectUnsupported, m.Disk))
	}
	if err != nil {
		return fail(fmt.Errorf("media: presigning the upload: %w", err))
	}
	if err := s.setTags(ctx, h, m.ID, meta.tags); err != nil {
		return fail(err)
	}
	m.Tags = meta.tags
	return m, put, nil
}

// Finalize checks a direct upload begun by userID (0: one begun without
// an owner) and makes it ready: the staged object must exist and hold the
// declared size and type, sniffed from its bytes. Those bytes are read
// once from the disk and written, as they are checked (hashed, sniffed,
// an image's size read), to the media's own key, so what is served is
// what was checked even if the staging URL is used again; the staged
// object is then removed. An upload that does not match is removed with
// its row; one not uploaded yet (ErrNotUploaded) stays pending, so the
// client may retry until the purge. Finalizing twice, even at once,
// returns the ready media.
func (s *Service) Finalize(ctx context.Context, h dialects.Handle, id, userID int64) (Media, error) {
	row, err := q(h).MediaGet(ctx, id)
	if err != nil {
		return Media{}, notFound(err, "upload", id)
	}
	m := fromRow(row)
	switch {
	case m.OwnerID != userID:
		return Media{}, fmt.Errorf("%w (upload %d)", ErrNotOwner, id)
	case m.Status == Ready:
		return s.Get(ctx, h, id) // finalized already (a retry, or a double click)
	case m.Status != Pending:
		return Media{}, fmt.Errorf("%w: no pending upload %d (it is %s)", ErrNotFound, id, m.Status)
	}
	if err := s.checkKey(ctx, m); err != nil {
		return Media{}, err
	}
	disk, err := s.disk(m.Disk)
	if err != nil {
		return Media{}, err
	}
	obj, err := disk.Stat(ctx, m.staging())
	if errors.Is(err, storage.ErrNotFound) {
		if done, err := s.Get(ctx, h, id); err == nil && done.Status == Ready {
			return done, nil // another finalize took the staged object meanwhile
		}
		return Media{}, fmt.Errorf("%w (upload %d): PUT it to the URL Begin returned first", ErrNotUploaded, id)
	}
	if err != nil {
		return Media{}, fmt.Errorf("media: finding the upload: %w", err)
	}
	refuse := func(err error) (Media, error) { return Media{}, errors.Join(err, s.discard(ctx, h, m)) }
	if obj.Size != m.Size {
		return refuse(fmt.Errorf("%w: the upload has %d bytes, %d were declared", ErrInvalid, obj.Size, m.Size))
	}
	p, err := s.promote(ctx, disk, m)
	if err != nil {
		return Media{}, err
	}
	switch {
	case p.size != m.Size:
		return refuse(fmt.Errorf("%w: the upload has %d bytes, %d were declared", ErrInvalid, p.size, m.Size))
	case p.contentType != m.ContentType:
		return refuse(fmt.Errorf("%w: the bytes are %s, %s was declared", ErrTypeMismatch, p.contentType, m.ContentType))
	case p.imageErr != nil:
		return refuse(fmt.Errorf("%w: a %s whose header cannot be read: %v", ErrInvalid, p.contentType, p.imageErr))
	}
	if err := s.markReady(ctx, h, id, p.contentType, p.size, p.checksum, p.width, p.height); err != nil {
		if done, gerr := s.Get(ctx, h, id); gerr == nil && done.Status == Ready {
			return done, nil // another finalize made it ready first
		}
		return Media{}, err
	}
	if err := disk.Delete(ctx, m.staging()); err != nil {
		s.opts.Logger.WarnContext(ctx, "media: the staged upload stays on the disk", "media", id, "key", m.staging(), "error", err)
	}
	return s.Get(ctx, h, id)
}

// promote copies a direct upload's staged object to the media's key,
// probing the bytes on the way (their size, type, checksum, an image's
// size), and returns what it found. The copy is stopped at the declared
// size plus one byte.
func (s *Service) promote(ctx context.Context, disk storage.Storage, m Media) (probed, error) {
	rc, _, err := disk.Get(ctx, m.staging(), nil)
	if err != nil {
		return probed{}, fmt.Errorf("media: reading the upload: %w", err)
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	var p probed
	var perr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		p, perr = probe(pr, true)
		_, _ = io.Copy(io.Discard, pr) // let the copy finish whatever probe saw
	}()
	_, err = disk.Put(ctx, m.Key, io.TeeReader(rc, pw), storage.PutOptions{ContentType: m.ContentType, MaxSize: m.Size})
	pw.Close()
	<-done
	switch {
	case errors.Is(err, storage.ErrTooLarge):
		p.size = m.Size + 1 // refused as another size
		return p, nil
	case err != nil:
		return probed{}, fmt.Errorf("media: storing the upload: %w", err)
	case perr != nil:
		return probed{}, fmt.Errorf("media: reading the upload: %w", perr)
	}
	return p, nil
}

// meta is an upload's checked description.
type meta struct {
	filename, alt string
	tags          []string
}

// checkMeta normalises the file name and checks the alt text and tags.
func (s *Service) checkMeta(filename, alt string, tags []string) (meta, error) {
	m := meta{filename: NormalizeFilename(filename), alt: alt}
	if err := checkAlt(alt); err != nil {
		return meta{}, err
	}
	t, err := normalizeTags(tags)
	if err != nil {
		return meta{}, err
	}
	m.tags = t
	return m, nil
}

// checkAlt bounds an alt text.
func checkAlt(alt string) error {
	switch {
	case !utf8.ValidString(alt):
		return fmt.Errorf("%w: the alt text is not UTF-8", ErrInvalid)
	case utf8.RuneCountInString(alt) > 500:
		return fmt.Errorf("%w: the alt text has more than 500 characters", ErrInvalid)
	case strings.ContainsFunc(alt, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return fmt.Errorf("%w: the alt text holds control characters", ErrInvalid)
	}
	return nil
}

// checkType refuses a sniffed type that is not allowed, or that the
// declared one contradicts.
func (s *Service) checkType(sniffed, declared string) error {
	if !s.Allowed(sniffed) {
		return fmt.Errorf("%w: the file is %s (allowed: %s)", ErrTypeNotAllowed, sniffed, strings.Join(s.allowed, ", "))
	}
	if declared == "" {
		return nil
	}
	d, _, err := parseType(declared)
	if err != nil {
		return fmt.Errorf("%w: declared content type %q: %v", ErrInvalid, declared, err)
	}
	if d != "application/octet-stream" && d != sniffed {
		return fmt.Errorf("%w: the bytes are %s, %s was declared", ErrTypeMismatch, sniffed, d)
	}
	return nil
}

// staging is the key a direct upload is PUT to, in the media's
// directory (a key name always has an extension; this one has none).
func (m Media) staging() string { return m.dir() + "_upload" }

// keyShape is the shape of the keys newKey makes, after the prefix.
var keyShape = regexp.MustCompile(`^media/[a-z2-7]{26}/[a-z0-9_-]+\.[a-z0-9]+$`)

// checkKey refuses a media whose key this service did not make under
// the request's prefix (a row edited by hand, or another tenant's key):
// nothing is read, served or deleted through it.
func (s *Service) checkKey(ctx context.Context, m Media) error {
	rest, ok := strings.CutPrefix(m.Key, framework.KeyPrefix(ctx))
	if !ok || !keyShape.MatchString(rest) {
		return fmt.Errorf("%w: media %d's key %q is not one of this service's under %q", ErrInvalid, m.ID, m.Key, framework.KeyPrefix(ctx)+"media/")
	}
	return nil
}

// createPending records the row that stands for an object before it
// exists, under a new key in the request's prefix.
func (s *Service) createPending(ctx context.Context, h dialects.Handle, m meta, ct string, size, owner, collection int64, public bool) (Media, error) {
	key, err := newKey(framework.KeyPrefix(ctx), m.filename, ct)
	if err != nil {
		return Media{}, err
	}
	now := s.now()
	p := queries.MediaCreateParams{Disk: s.opts.Disk, ObjectKey: key, Filename: m.filename, ContentType: ct, Size: size,
		AltText: m.alt, IsPublic: public, OwnerID: nullID(owner), CollectionID: nullID(collection), Status: string(Pending), Now: now}
	id, err := q(h).MediaCreate(ctx, p)
	if errors.Is(err, queries.ErrForeignKeyViolation) {
		return Media{}, fmt.Errorf("%w: no collection %d or no user %d", ErrInvalid, collection, owner)
	}
	if err != nil {
		return Media{}, fmt.Errorf("media: recording the upload: %w", err)
	}
	return Media{ID: id, Disk: s.opts.Disk, Key: key, Filename: m.filename, ContentType: ct, Size: size, AltText: m.alt,
		Public: public, OwnerID: owner, CollectionID: collection, Status: Pending, CreatedAt: now, UpdatedAt: now}, nil
}

// markReady records the checked bytes of a pending row.
func (s *Service) markReady(ctx context.Context, h dialects.Handle, id int64, ct string, size int64, sum string, w, ht int64) error {
	n, err := q(h).MediaMarkReady(ctx, queries.MediaMarkReadyParams{ID: id, ContentType: ct, Size: size, Checksum: sum,
		Width: nullID(w), Height: nullID(ht), Now: s.now()})
	if err != nil {
		return fmt.Errorf("media: recording the upload: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: upload %d was removed meanwhile", ErrNotFound, id)
	}
	return nil
}

// discard removes a media's row, if it is still in the status m has (a
// concurrent finalize or restore keeps it), and then its objects, even
// when ctx is cancelled (the client went away). A row that cannot go (an
// app row still references it) keeps its objects; objects that cannot
// be deleted once the row is gone are orphans, which Orphans finds.
func (s *Service) discard(ctx context.Context, h dialects.Handle, m Media) error {
	_, err := s.remove(ctx, h, m)
	return err
}

// remove is discard, reporting whether the row went.
func (s *Service) remove(ctx context.Context, h dialects.Handle, m Media) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	if err := s.checkKey(ctx, m); err != nil {
		return false, err
	}
	n, err := q(h).MediaDelete(ctx, queries.MediaDeleteParams{ID: m.ID, Status: string(m.Status)})
	if err != nil {
		return false, fmt.Errorf("media: removing media %d: %w", m.ID, err)
	}
	if n == 0 {
		return false, nil // finalized, restored or removed meanwhile: not ours to remove
	}
	return true, s.removeObjects(ctx, m)
}

// removeObjects deletes every object under the media's directory (the
// file and its thumbnails).
func (s *Service) removeObjects(ctx context.Context, m Media) error {
	disk, err := s.disk(m.Disk)
	if err != nil {
		return err
	}
	var errs []error
	for obj, err := range disk.List(ctx, m.dir()) {
		if err != nil {
			return fmt.Errorf("media: listing media %d's objects: %w", m.ID, err)
		}
		if err := disk.Delete(ctx, obj.Key); err != nil {
			errs = append(errs, fmt.Errorf("media: deleting %s: %w", obj.Key, err))
		}
	}
	return errors.Join(errs...)
}

// readSize reads an image's width and height from the start of its object.
func (s *Service) readSize(ctx context.Context, disk storage.Storage, key, ct string) (int64, int64, error) {
	rc, _, err := disk.Get(ctx, key, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("media: reading the image back: %w", err)
	}
	defer rc.Close()
	p, err := probe(rc, false)
	if err != nil {
		return 0, 0, fmt.Errorf("media: reading the image back: %w", err)
	}
	if p.imageErr != nil {
		return 0, 0, fmt.Errorf("%w: a %s whose header cannot be read: %v", ErrInvalid, ct, p.imageErr)
	}
	return p.width, p.height, nil
}

// probed is what probe learnt of a file.
type probed struct {
	contentType   string
	width, height int64
	imageErr      error // the header of a decodable image type is unreadable
	size          int64 // with whole: the bytes read
	checksum      string
}

// probe sniffs r's type from its first 512 bytes and, for an image, reads
// its size from its header. With whole it reads r to the end, counting
// and hashing it.
func probe(r io.Reader, whole bool) (probed, error) {
	sum := sha256.New()
	cr := &countReader{r: io.TeeReader(r, sum)}
	br := bufio.NewReaderSize(cr, 4096)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return probed{}, err
	}
	p := probed{contentType: Sniff(head)}
	if decodable(p.contentType) {
		if cfg, _, err := image.DecodeConfig(br); err != nil {
			p.imageErr = err
		} else if cfg.Width <= 0 || cfg.Height <= 0 {
			p.imageErr = fmt.Errorf("%dx%d pixels", cfg.Width, cfg.Height)
		} else {
			p.width, p.height = int64(cfg.Width), int64(cfg.Height)
		}
	}
	if whole {
		if _, err := io.Copy(io.Discard, br); err != nil {
			return probed{}, err
		}
		p.size, p.checksum = cr.n, hex.EncodeToString(sum.Sum(nil))
	}
	return p, nil
}

// sourceReader keeps the error of the upload's source, so that a body cut
// short is told apart from a failing disk.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// failed is the error of an upload whose source failed: the source's own
// when it is a body limit (http.MaxBytesError) or the request's end,
// else ErrIncomplete naming it. err is the error the reading returned.
func (s *sourceReader) failed(err error) error {
	cause := s.err
	if cause == nil {
		cause = err
	}
	var mbe *http.MaxBytesError
	if errors.As(cause, &mbe) || errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	return fmt.Errorf("%w (%w)", ErrIncomplete, quiet{cause})
}

// quiet wraps an error whose text is for the log, not for a client: it
// says only that something failed while reading.
type quiet struct{ err error }

func (q quiet) Error() string { return "reading the body failed" }
func (q quiet) Unwrap() error { return q.err }

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodable reports whether the size of images of type ct can be read.
func decodable(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// Sniff returns the media type of a file from its first bytes (up to
// 512), without parameters, by the WHATWG algorithm
// (http.DetectContentType): "application/octet-stream" when unknown.
func Sniff(head []byte) string {
	t, _, _ := parseType(http.DetectContentType(head))
	return t
}

// parseType parses a media type, lower-cases it, drops its parameters and
// maps the usual aliases (image/jpg → image/jpeg).
func parseType(v string) (string, map[string]string, error) {
	t, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil, err
	}
	if !strings.Contains(t, "/") {
		return "", nil, fmt.Errorf("mime: %q has no subtype", v)
	}
	switch t {
	case "image/jpg", "image/pjpeg":
		t = "image/jpeg"
	case "image/x-png":
		t = "image/png"
	case "audio/wav", "audio/x-wav":
		t = "audio/wave"
	}
	return t, params, nil
}

// keyEncoding spells random key directories: lower-case letters and
// digits.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newKey returns a fresh key for a file of type ct named filename under
// prefix: prefix + "media/" + 26 random characters + "/" + an ASCII form
// of the name with the type's extension (never the client's: a disk that
// types its objects by extension then serves what was checked). The
// random directory makes keys unguessable and holds the media's
// thumbnails too.
func newKey(prefix, filename, ct string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	key := prefix + "media/" + keyEncoding.EncodeToString(b[:]) + "/" + keyName(filename, ct)
	if err := storage.ValidateKey(key); err != nil {
		return "", fmt.Errorf("media: key prefix %q: %w", prefix, err)
	}
	return key, nil
}

// keyName is the last segment of a media's key: the file name's stem in
// lower case ASCII letters, digits, "-", "_" and ".", and the extension of
// type ct, at most 80 bytes.
func keyName(filename, ct string) string {
	// No dot in the stem: "x.php.png" would be a PHP script to some
	// servers' configurations.
	stem := strings.ReplaceAll(strings.TrimSuffix(filename, path.Ext(filename)), ".", "-")
	ext := extensions[ct]
	if ext == "" {
		ext = "bin"
	}
	clean := func(s string, max int) string {
		var b strings.Builder
		dash := false
		for _, r := range strings.ToLower(s) {
			ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
			switch {
			case ok:
				b.WriteRune(r)
				dash = false
			case !dash && b.Len() > 0:
				b.WriteByte('-')
				dash = true
			}
			if b.Len() >= max {
				break
			}
		}
		return strings.Trim(b.String(), "-")
	}
	st := clean(stem, 80-len(ext)-1)
	if st == "" {
		st = "file"
	}
	return st + "." + ext
}

// extensions are the key extensions of the types a disk may be asked to
// serve by extension.
var extensions = map[string]string{
	"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
	"application/pdf": "pdf", "text/plain": "txt", "audio/mpeg": "mp3", "audio/wave": "wav",
	"application/ogg": "ogg", "video/mp4": "mp4", "video/webm": "webm",
	"application/zip": "zip", "text/csv": "csv", "application/json": "json",
}

// MaxFilenameLen is the longest file name kept, in characters.
const MaxFilenameLen = 200

// NormalizeFilename makes a client's file name safe to keep and show: the
// last path segment (after "/" or "\"), valid UTF-8, without control or
// invisible formatting characters (such as a right-to-left override),
// spaces collapsed, no leading or trailing dots or spaces, at most
// MaxFilenameLen characters with the extension kept; "file" when nothing
// is left.
func NormalizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			if !space {
				b.WriteByte(' ')
			}
			space = true
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
		default:
			b.WriteRune(r)
			space = false
		}
	}
	name = strings.Trim(b.String(), " .")
	if name == "" {
		return "file"
	}
	if utf8.RuneCountInString(name) > MaxFilenameLen {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		stem := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimRight(string(stem[:MaxFilenameLen-utf8.RuneCountInString(ext)]), " .") + ext
	}
	return name
}
