package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options configure an S3-compatible disk (AWS S3, Cloudflare R2,
// Backblaze B2, MinIO, …).
type S3Options struct {
	// Endpoint is the server's host[:port] ("s3.amazonaws.com",
	// "<account>.r2.cloudflarestorage.com", "127.0.0.1:9000"). Required.
	Endpoint string
	// Insecure talks plain HTTP (a server on this machine); default HTTPS.
	Insecure bool
	// Region, when the server needs one ("us-east-1", "auto" for R2).
	Region string
	// Bucket holds the disk's objects. Required.
	Bucket string
	// Prefix, when set, is put before every key (and is not part of the
	// keys List yields): several disks, or tenants, may share a bucket.
	Prefix string
	// AccessKeyID and SecretAccessKey are the credentials. Required.
	AccessKeyID, SecretAccessKey string
	// PathStyle addresses the bucket in the path (https://host/bucket/key)
	// rather than as a subdomain, as MinIO and most servers on one host
	// need. Default: chosen by the client from the endpoint.
	PathStyle bool
	// PublicBaseURL, when set, is where the bucket's objects are public
	// (a CDN): PublicURL is it, "/", and the escaped key (without Prefix).
	PublicBaseURL string
	// PartSize is the size of the parts of an upload of unknown length,
	// each held in memory while it is sent. Default 8 MiB.
	PartSize uint64
}

// S3 is a disk in a bucket of an S3-compatible server, through minio-go.
// Puts of unknown length are sent in parts of PartSize (so memory stays
// bounded whatever the body's size); an upload that fails or passes
// MaxSize leaves no object and no unfinished parts. Presigned URLs are
// the server's own (SigV4): a presigned PUT signs its Content-Type and,
// as S3 cannot bound a PUT's size otherwise, its exact Content-Length
// (PutConditions.Size).
type S3 struct {
	client *minio.Client
	opts   S3Options
}

// NewS3 returns the disk; it does not contact the server (use Check).
func NewS3(opts S3Options) (*S3, error) {
	switch {
	case opts.Endpoint == "":
		return nil, errors.New("storage: an S3 disk needs an endpoint (host[:port])")
	case opts.Bucket == "":
		return nil, errors.New("storage: an S3 disk needs a bucket")
	case opts.AccessKeyID == "" || opts.SecretAccessKey == "":
		return nil, errors.New("storage: an S3 disk needs an access key id and a secret access key")
	}
	if opts.Prefix != "" {
		if err := ValidateKey(strings.TrimSuffix(opts.Prefix, "/")); err != nil {
			return nil, fmt.Errorf("storage: S3 prefix: %w", err)
		}
		opts.Prefix = strings.TrimSuffix(opts.Prefix, "/") + "/"
	}
	if opts.PartSize == 0 {
		opts.PartSize = 8 << 20
	}
	lookup := minio.BucketLookupAuto
	if opts.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(opts.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(opts.AccessKeyID, opts.SecretAccessKey, ""),
		Secure:       !opts.Insecure,
		Region:       opts.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: S3 disk at %s: %w", opts.Endpoint, err)
	}
	return &S3{client: c, opts: opts}, nil
}

// Check asks the server whether the bucket exists and the credentials
// reach it.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.opts.Bucket)
	if err != nil {
		return fmt.Errorf("storage: S3 bucket %s at %s: %w", s.opts.Bucket, s.opts.Endpoint, err)
	}
	if !ok {
		return fmt.Errorf("storage: S3 bucket %s does not exist at %s", s.opts.Bucket, s.opts.Endpoint)
	}
	return nil
}

func (s *S3) name(key string) string { return s.opts.Prefix + key }

// s3Err maps the server's "no such key" to ErrNotFound.
func (s *S3) s3Err(op, key string, err error) error {
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("storage: %s %s: %w", op, key, err)
}

// Put implements Storage.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	body := &limitReader{r: ctxReader{ctx, r}, max: opts.MaxSize}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	_, err := s.client.PutObject(ctx, s.opts.Bucket, s.name(key), body, -1, minio.PutObjectOptions{ContentType: ct, PartSize: s.opts.PartSize})
	if err != nil {
		// A multipart upload cut off leaves parts on the server: remove
		// them (a best effort; the server's lifecycle rules are the net).
		_ = s.client.RemoveIncompleteUpload(context.WithoutCancel(ctx), s.opts.Bucket, s.name(key))
		if body.over {
			return Object{}, fmt.Errorf("storage: put %s: %w", key, body.tooLarge())
		}
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	return s.Stat(ctx, key)
}

// Get implements Storage. The whole object is one GET, whose answer
// describes the version it serves; a range first needs the size, so its
// GET is pinned to the ETag just read and, when a Put replaced the object
// in between, starts again (up to three times).
func (s *S3) Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	// Core's GetObject is one request, its body and its headers: the
	// Client's Object may ask again (after Stat, say), and so could mix
	// versions or fail halfway when a Put replaces the object.
	core := minio.Core{Client: s.client}
	if rng == nil {
		body, info, _, err := core.GetObject(ctx, s.opts.Bucket, s.name(key), minio.GetObjectOptions{})
		if err != nil {
			return nil, Object{}, s.s3Err("get", key, err)
		}
		return body, s.object(key, info), nil
	}
	for attempt := 1; ; attempt++ {
		obj, err := s.Stat(ctx, key)
		if err != nil {
			return nil, Object{}, err
		}
		off, n, err := checkRange(rng, obj.Size)
		if err != nil {
			return nil, Object{}, err
		}
		if n == 0 {
			return io.NopCloser(strings.NewReader("")), obj, nil
		}
		gopts := minio.GetObjectOptions{}
		if err := gopts.SetMatchETag(strings.Trim(obj.ETag, `"`)); err != nil {
			return nil, Object{}, err
		}
		if err := gopts.SetRange(off, off+n-1); err != nil {
			return nil, Object{}, err
		}
		body, _, _, err := core.GetObject(ctx, s.opts.Bucket, s.name(key), gopts)
		if err == nil {
			return body, obj, nil
		}
		if minio.ToErrorResponse(err).Code != "PreconditionFailed" || attempt == 3 {
			return nil, Object{}, s.s3Err("get", key, err)
		}
	}
}

// Stat implements Storage.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	info, err := s.client.StatObject(ctx, s.opts.Bucket, s.name(key), minio.StatObjectOptions{})
	if err != nil {
		return Object{}, s.s3Err("stat", key, err)
	}
	return s.object(key, info), nil
}

func (s *S3) object(key string, info minio.ObjectInfo) Object {
	ct := info.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	etag := info.ETag
	if etag != "" && !strings.HasPrefix(etag, `"`) {
		etag = `"` + etag + `"`
	}
	return Object{Key: key, Size: info.Size, ContentType: ct, ModTime: info.LastModified.UTC(), ETag: etag}
}

// Delete implements Storage.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.opts.Bucket, s.name(key), minio.RemoveObjectOptions{})
	if errors.Is(s.s3Err("delete", key, err), ErrNotFound) {
		return nil
	}
	return s.s3Err("delete", key, err)
}

// List implements Storage.
func (s *S3) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := validatePrefix(prefix); err != nil {
			yield(Object{}, err)
			return
		}
		// The iterator form stops the listing, goroutine included, when
		// the caller stops early.
		for info := range s.client.ListObjectsIter(ctx, s.opts.Bucket, minio.ListObjectsOptions{Prefix: s.name(prefix), Recursive: true}) {
			if info.Err != nil {
				yield(Object{}, fmt.Errorf("storage: list %q: %w", prefix, info.Err))
				return
			}
			key := strings.TrimPrefix(info.Key, s.opts.Prefix)
			if ValidateKey(key) != nil {
				continue // an object no key of this disk names (written by other means)
			}
			if !yield(s.object(key, info), nil) {
				return
			}
		}
	}
}

// PublicURL implements Storage.
func (s *S3) PublicURL(key string) (string, error) { return publicURL(s.opts.PublicBaseURL, key) }

func checkTTL(key string, ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxPresignTTL {
		return fmt.Errorf("storage: presign %s: a lifetime of %s (want more than 0 and at most %s)", key, ttl, MaxPresignTTL)
	}
	return ValidateKey(key)
}

// PresignGet implements Storage.
func (s *S3) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := checkTTL(key, ttl); err != nil {
		return "", err
	}
	u, err := s.client.PresignedGetObject(ctx, s.opts.Bucket, s.name(key), ttl, url.Values{})
	if err != nil {
		return "", s.s3Err("presign", key, err)
	}
	return u.String(), nil
}

// PresignPut implements Storage. S3 cannot bound the size of a presigned
// PUT: a MaxSize without Size is refused (ErrUnsupported); Size is signed
// as the exact Content-Length, ContentType as the Content-Type.
func (s *S3) PresignPut(ctx context.Context, key string, ttl time.Duration, c PutConditions) (PresignedPut, error) {
	if err := checkTTL(key, ttl); err != nil {
		return PresignedPut{}, err
	}
	if c.MaxSize > 0 && c.Size <= 0 {
		return PresignedPut{}, fmt.Errorf("%w: an S3 presigned PUT cannot bound its size: give PutConditions.Size, the exact size, which is signed", ErrUnsupported)
	}
	if c.MaxSize > 0 && c.Size > c.MaxSize {
		return PresignedPut{}, fmt.Errorf("%w: a size of %d bytes is over the limit of %d", ErrTooLarge, c.Size, c.MaxSize)
	}
	h := http.Header{}
	headers := map[string]string{}
	if c.ContentType != "" {
		h.Set("Content-Type", c.ContentType)
		headers["Content-Type"] = c.ContentType
	}
	if c.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(c.Size, 10))
		headers["Content-Length"] = strconv.FormatInt(c.Size, 10)
	}
	expires := time.Now().Add(ttl)
	u, err := s.client.PresignHeader(ctx, http.MethodPut, s.opts.Bucket, s.name(key), ttl, url.Values{}, h)
	if err != nil {
		return PresignedPut{}, s.s3Err("presign", key, err)
	}
	return PresignedPut{URL: u.String(), Method: http.MethodPut, Headers: headers, Expires: expires}, nil
}
