package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"iter"
	"mime"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Local is a disk in a directory of the local file system. Every path is
// opened through an os.Root on the directory, so no key — nor a symbolic
// link planted inside — reaches a file outside it. Puts are atomic: the
// body goes to a temporary file under .quarry/tmp/, is synced, then
// renamed over the key. A directory keeps no metadata: an object's
// content type comes from its key's extension (application/octet-stream
// without one), and its ETag from its size and modification time.
type Local struct {
	root *os.Root
	dir  string
	opts DiskOptions
}

// NewLocal opens (creating it when missing) the directory dir as a disk.
// Close it when done.
func NewLocal(dir string, opts DiskOptions) (*Local, error) {
	if dir == "" {
		return nil, errors.New("storage: a local disk needs a directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: local disk %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: local disk %s: %w", dir, err)
	}
	if err := root.MkdirAll(tmpDir, 0o750); err != nil {
		root.Close()
		return nil, fmt.Errorf("storage: local disk %s: %w", dir, err)
	}
	return &Local{root: root, dir: dir, opts: opts}, nil
}

// tmpDir holds Local's files being written.
const tmpDir = reservedDir + "/tmp"

// Close releases the directory.
func (l *Local) Close() error { return l.root.Close() }

// Dir is the disk's directory.
func (l *Local) Dir() string { return l.dir }

// Put implements Storage.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (obj Object, err error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	tmp := tmpDir + "/" + hex.EncodeToString(b[:])
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = l.root.Remove(tmp)
		}
	}()
	if _, err = limitedCopy(f, ctxReader{ctx, r}, opts.MaxSize); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err = f.Sync(); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err = f.Close(); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	if dir := path.Dir(key); dir != "." {
		if err = l.root.MkdirAll(dir, 0o750); err != nil {
			return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
		}
	}
	if err = l.root.Rename(tmp, key); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	return l.Stat(ctx, key)
}

// Get implements Storage.
func (l *Local) Get(_ context.Context, key string, rng *Range) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	// Open first, then describe the open file: a Put renaming another
	// file over the key meanwhile cannot mix its size with these bytes.
	f, err := l.root.Open(key)
	if err != nil {
		return nil, Object{}, l.notFound(key, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			return nil, Object{}, fmt.Errorf("%w: %s (a directory)", ErrNotFound, key)
		}
		return nil, Object{}, fmt.Errorf("storage: get %s: %w", key, err)
	}
	obj := l.object(key, fi)
	off, n, err := checkRange(rng, obj.Size)
	if err != nil {
		f.Close()
		return nil, Object{}, err
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, Object{}, fmt.Errorf("storage: get %s: %w", key, err)
		}
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, obj, nil
}

// Stat implements Storage.
func (l *Local) Stat(_ context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	fi, err := l.root.Stat(key)
	if err != nil {
		return Object{}, l.notFound(key, err)
	}
	if !fi.Mode().IsRegular() {
		return Object{}, fmt.Errorf("%w: %s (a directory)", ErrNotFound, key)
	}
	return l.object(key, fi), nil
}

func (l *Local) object(key string, fi fs.FileInfo) Object {
	ct := mime.TypeByExtension(path.Ext(key))
	if ct == "" {
		ct = "application/octet-stream"
	}
	var h hash.Hash = sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%d", key, fi.Size(), fi.ModTime().UnixNano())
	return Object{Key: key, Size: fi.Size(), ContentType: ct, ModTime: fi.ModTime().UTC(), ETag: `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`}
}

// notFound turns a missing file into ErrNotFound; other errors (a path
// that would leave the directory, among them) keep their cause.
func (l *Local) notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("storage: %s: %w", key, err)
}

// Delete implements Storage.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	fi, err := l.root.Stat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return nil // a directory of other keys: no object of this key
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	return nil
}

// List implements Storage. It walks the directory that holds prefix's
// keys, skipping the disk's own .quarry/ files and anything not a
// regular file (a symbolic link is not followed).
func (l *Local) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := validatePrefix(prefix); err != nil {
			yield(Object{}, err)
			return
		}
		start := "."
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			start = prefix[:i]
		}
		var objs []Object
		err := fs.WalkDir(l.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				// A prefix that does not exist, or runs through a file
				// ("f.txt/a/"), holds no keys.
				if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
					return fs.SkipAll
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if p == reservedDir {
				return fs.SkipDir
			}
			if d.IsDir() {
				if p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			objs = append(objs, l.object(p, fi))
			return nil
		})
		if err != nil {
			yield(Object{}, fmt.Errorf("storage: list %q: %w", prefix, err))
			return
		}
		slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// PublicURL implements Storage.
func (l *Local) PublicURL(key string) (string, error) { return publicURL(l.opts.PublicBaseURL, key) }

// PresignGet implements Storage.
func (l *Local) PresignGet(_ context.Context, key string, ttl time.Duration) (string, error) {
	return l.opts.Signer.presignGet(key, ttl)
}

// PresignPut implements Storage.
func (l *Local) PresignPut(_ context.Context, key string, ttl time.Duration, c PutConditions) (PresignedPut, error) {
	return l.opts.Signer.presignPut(key, ttl, c)
}
