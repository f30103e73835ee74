package storage

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/framework/signing"
)

// signPurpose separates presigned storage URLs from every other signature
// of the app's keys.
const signPurpose = "quarry.storage.presigned.v1"

// MaxPresignTTL is the longest a presigned URL may live (S3's limit).
const MaxPresignTTL = 7 * 24 * time.Hour

// Signer makes presigned URLs for a disk that has no signing of its own
// (Local, Memory): URLs under BaseURL carrying the method, the key, an
// expiry and the upload's conditions, signed with the app's keys, which
// the Handler the app mounts at BaseURL checks before serving them.
type Signer struct {
	// Keys signs the URLs: app.Keys(), so that every instance accepts the
	// others'. Required.
	Keys *signing.Keyring
	// BaseURL is where Handler is mounted: an absolute URL or a path
	// ("/_storage/media"), without a trailing slash. Required.
	BaseURL string
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// payload is what a presigned URL's signature covers.
// It names the disk too (the Signer's BaseURL), so that a URL signed for
// one disk is refused by another's Handler, though the app's keys sign
// both.
func (s *Signer) payload(method, key string, exp int64, ct string, max, size int64) []byte {
	return []byte(strings.TrimSuffix(s.BaseURL, "/") + "\n" + method + "\n" + key + "\n" + strconv.FormatInt(exp, 10) + "\n" + ct + "\n" + strconv.FormatInt(max, 10) + "\n" + strconv.FormatInt(size, 10))
}

func (s *Signer) check(key string, ttl time.Duration) error {
	if s == nil || s.Keys == nil || s.BaseURL == "" {
		return fmt.Errorf("%w: presigned URLs on this disk need a Signer (DiskOptions.Signer) and its Handler mounted", ErrUnsupported)
	}
	return checkTTL(key, ttl)
}

func (s *Signer) url(method, key string, ttl time.Duration, ct string, max, size int64) (string, time.Time) {
	max, size = pos(max), pos(size)
	exp := s.now().Add(ttl).Truncate(time.Second)
	q := url.Values{"exp": {strconv.FormatInt(exp.Unix(), 10)}}
	if ct != "" {
		q.Set("ct", ct)
	}
	if max > 0 {
		q.Set("max", strconv.FormatInt(max, 10))
	}
	if size > 0 {
		q.Set("size", strconv.FormatInt(size, 10))
	}
	sig := s.Keys.Sign(signPurpose, s.payload(method, key, exp.Unix(), ct, max, size))
	q.Set("sig", fmt.Sprintf("%x", sig))
	return strings.TrimSuffix(s.BaseURL, "/") + "/" + escapeKey(key) + "?" + q.Encode(), exp
}

func (s *Signer) presignGet(key string, ttl time.Duration) (string, error) {
	if err := s.check(key, ttl); err != nil {
		return "", err
	}
	u, _ := s.url(http.MethodGet, key, ttl, "", 0, 0)
	return u, nil
}

func (s *Signer) presignPut(key string, ttl time.Duration, c PutConditions) (PresignedPut, error) {
	if err := s.check(key, ttl); err != nil {
		return PresignedPut{}, err
	}
	if c.MaxSize > 0 && c.Size > c.MaxSize {
		return PresignedPut{}, fmt.Errorf("%w: a size of %d bytes is over the limit of %d", ErrTooLarge, c.Size, c.MaxSize)
	}
	u, exp := s.url(http.MethodPut, key, ttl, c.ContentType, c.MaxSize, c.Size)
	p := PresignedPut{URL: u, Method: http.MethodPut, Headers: map[string]string{}, Expires: exp}
	if c.ContentType != "" {
		p.Headers["Content-Type"] = c.ContentType
	}
	if c.Size > 0 {
		p.Headers["Content-Length"] = strconv.FormatInt(c.Size, 10)
	}
	return p, nil
}

// pos is n, or 0 when n is not positive (no condition).
func pos(n int64) int64 { return max(n, 0) }

// escapeKey escapes each segment of key for a URL path.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func publicURL(base, key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if base == "" {
		return "", fmt.Errorf("%w: the disk has no public base URL (QUARRY_STORAGE_<NAME>_PUBLIC_URL)", ErrUnsupported)
	}
	return strings.TrimSuffix(base, "/") + "/" + escapeKey(key), nil
}

// Handler serves the presigned URLs s made for disk, mounted where
// s.BaseURL points (strip the base path first, e.g. with
// http.StripPrefix): GET and HEAD answer the object (one byte range when
// asked: 206), PUT stores the body. A request whose signature is missing
// or wrong, whose method differs from the signed one, or that arrives
// after the expiry gets 403 saying which; a PUT whose Content-Type
// differs from the signed one 415, a body over the signed size 413
// (read no further than the limit, nothing stored).
func (s *Signer) Handler(disk Storage) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/")
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		if method != http.MethodGet && method != http.MethodPut {
			w.Header().Set("Allow", "GET, HEAD, PUT")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := ValidateKey(key); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q := r.URL.Query()
		exp, err1 := strconv.ParseInt(q.Get("exp"), 10, 64)
		max, err2 := int64(0), error(nil)
		if v := q.Get("max"); v != "" {
			max, err2 = strconv.ParseInt(v, 10, 64)
		}
		size, err4 := int64(0), error(nil)
		if v := q.Get("size"); v != "" {
			size, err4 = strconv.ParseInt(v, 10, 64)
		}
		var sig []byte
		_, err3 := fmt.Sscanf(q.Get("sig"), "%x", &sig)
		ct := q.Get("ct")
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || !s.Keys.Verify(signPurpose, s.payload(method, key, exp, ct, max, size), sig) {
			http.Error(w, "forbidden: the URL's signature is missing or does not match (a URL signed for another key, method or condition)", http.StatusForbidden)
			return
		}
		if !s.now().Before(time.Unix(exp, 0)) {
			http.Error(w, "forbidden: the URL expired at "+time.Unix(exp, 0).UTC().Format(time.RFC3339), http.StatusForbidden)
			return
		}
		if method == http.MethodPut {
			s.servePut(w, r, disk, key, ct, max, size)
			return
		}
		serveGet(w, r, disk, key)
	})
}

func (s *Signer) servePut(w http.ResponseWriter, r *http.Request, disk Storage, key, ct string, max, size int64) {
	if got := r.Header.Get("Content-Type"); ct != "" && got != ct {
		http.Error(w, fmt.Sprintf("unsupported media type: this URL takes Content-Type %q, not %q", ct, got), http.StatusUnsupportedMediaType)
		return
	}
	if size > 0 && r.ContentLength != size {
		http.Error(w, fmt.Sprintf("this URL takes a body of exactly %d bytes (Content-Length)", size), http.StatusBadRequest)
		return
	}
	if size > 0 {
		max = size // the body is read no further than its declared size
	}
	if max > 0 && r.ContentLength > max {
		http.Error(w, fmt.Sprintf("request entity too large: at most %d bytes", max), http.StatusRequestEntityTooLarge)
		return
	}
	obj, err := disk.Put(r.Context(), key, r.Body, PutOptions{ContentType: r.Header.Get("Content-Type"), MaxSize: max})
	switch {
	case errors.Is(err, ErrTooLarge):
		http.Error(w, fmt.Sprintf("request entity too large: at most %d bytes", max), http.StatusRequestEntityTooLarge)
	case err != nil:
		http.Error(w, "the upload failed", http.StatusInternalServerError)
	default:
		w.Header().Set("ETag", obj.ETag)
		w.WriteHeader(http.StatusOK)
	}
}

// serveGet answers the object, or one byte range of it.
func serveGet(w http.ResponseWriter, r *http.Request, disk Storage, key string) {
	obj, err := disk.Stat(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "the object could not be read", http.StatusInternalServerError)
		return
	}
	status, rng := http.StatusOK, (*Range)(nil)
	if h := r.Header.Get("Range"); h != "" {
		var err error
		if rng, err = parseRange(h, obj.Size); err != nil {
			w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(obj.Size, 10))
			http.Error(w, err.Error(), http.StatusRequestedRangeNotSatisfiable)
			return
		}
		if rng != nil {
			status = http.StatusPartialContent
		}
	}
	body, obj, err := disk.Get(r.Context(), key, rng)
	if err != nil {
		http.Error(w, "the object could not be read", http.StatusInternalServerError)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", obj.ContentType)
	h.Set("ETag", obj.ETag)
	h.Set("Accept-Ranges", "bytes")
	// Files come from users: never run as a page of the app's origin.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	if !inlineSafe(obj.ContentType) {
		h.Set("Content-Disposition", "attachment")
	}
	n := obj.Size
	if rng != nil {
		off, m, _ := checkRange(rng, obj.Size)
		n = m
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+m-1, obj.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, body)
	}
}

// inlineSafe reports whether a browser may show a stored file of media
// type ct in place: images other than SVG (which holds script), audio,
// video, PDF and plain text. Anything else is served as an attachment.
func inlineSafe(ct string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	switch {
	case mt == "image/svg+xml":
		return false
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
		return true
	}
	return mt == "application/pdf" || mt == "text/plain"
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range
// (nil for a header it does not handle, such as several ranges: the whole
// object is answered, as RFC 9110 allows).
func parseRange(h string, size int64) (*Range, error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil, nil
	}
	bad := fmt.Errorf("%w: %q of an object of %d bytes", ErrBadRange, h, size)
	if a == "" { // the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return nil, bad
		}
		if size == 0 {
			return nil, nil // nothing to cut: the whole (empty) object
		}
		n = min(n, size)
		return &Range{Offset: size - n, Length: n}, nil
	}
	off, err := strconv.ParseInt(a, 10, 64)
	if err != nil || off < 0 || off >= size {
		return nil, bad
	}
	if b == "" {
		return &Range{Offset: off, Length: -1}, nil
	}
	end, err := strconv.ParseInt(b, 10, 64)
	if err != nil || end < off {
		return nil, bad
	}
	return &Range{Offset: off, Length: min(end, size-1) - off + 1}, nil
}
