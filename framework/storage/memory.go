package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a disk in the process's memory, for tests and development.
// Presigned URLs need a Signer (whose Handler serves them).
type Memory struct {
	mu      sync.RWMutex
	objects map[string]memObject
	opts    DiskOptions
}

type memObject struct {
	data []byte
	obj  Object
}

// DiskOptions are what Local and Memory share.
type DiskOptions struct {
	// PublicBaseURL, when set, is where the disk's objects are public
	// (a CDN, or a file server): PublicURL is it, "/", and the escaped key.
	PublicBaseURL string
	// Signer, when set, makes presigned URLs, served by its Handler.
	Signer *Signer
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
	// AccessKeyID and SecretAccessKey are an s3:// disk's credentials
	// (OpenDisk; DisksFromEnv reads them from the environment).
	AccessKeyID, SecretAccessKey string
}

func (o *DiskOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// NewMemory returns an empty in-memory disk.
func NewMemory(opts DiskOptions) *Memory {
	return &Memory{objects: map[string]memObject{}, opts: opts}
}

// Put implements Storage.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	var buf bytes.Buffer
	if _, err := limitedCopy(&buf, ctxReader{ctx, r}, opts.MaxSize); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	obj := Object{Key: key, Size: int64(buf.Len()), ContentType: ct, ModTime: m.opts.now().UTC(), ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	m.mu.Lock()
	m.objects[key] = memObject{data: buf.Bytes(), obj: obj}
	m.mu.Unlock()
	return obj, nil
}

// Get implements Storage.
func (m *Memory) Get(_ context.Context, key string, rng *Range) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	m.mu.RLock()
	o, ok := m.objects[key]
	m.mu.RUnlock()
	if !ok {
		return nil, Object{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	off, n, err := checkRange(rng, o.obj.Size)
	if err != nil {
		return nil, Object{}, err
	}
	return io.NopCloser(bytes.NewReader(o.data[off : off+n])), o.obj, nil
}

// Stat implements Storage.
func (m *Memory) Stat(_ context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	m.mu.RLock()
	o, ok := m.objects[key]
	m.mu.RUnlock()
	if !ok {
		return Object{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return o.obj, nil
}

// Delete implements Storage.
func (m *Memory) Delete(_ context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.objects, key)
	m.mu.Unlock()
	return nil
}

// List implements Storage.
func (m *Memory) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := validatePrefix(prefix); err != nil {
			yield(Object{}, err)
			return
		}
		m.mu.RLock()
		var objs []Object
		for k, o := range m.objects {
			if strings.HasPrefix(k, prefix) {
				objs = append(objs, o.obj)
			}
		}
		m.mu.RUnlock()
		slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
		for _, o := range objs {
			if err := ctx.Err(); err != nil {
				yield(Object{}, err)
				return
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// PublicURL implements Storage.
func (m *Memory) PublicURL(key string) (string, error) { return publicURL(m.opts.PublicBaseURL, key) }

// PresignGet implements Storage.
func (m *Memory) PresignGet(_ context.Context, key string, ttl time.Duration) (string, error) {
	return m.opts.Signer.presignGet(key, ttl)
}

// PresignPut implements Storage.
func (m *Memory) PresignPut(_ context.Context, key string, ttl time.Duration, c PutConditions) (PresignedPut, error) {
	return m.opts.Signer.presignPut(key, ttl, c)
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
