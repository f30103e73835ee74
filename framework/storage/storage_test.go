package storage_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/framework/storage/storagetest"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T, opts storage.DiskOptions) storage.Storage { return storage.NewMemory(opts) }, storagetest.Options{})
}

func newLocal(t *testing.T, dir string, opts storage.DiskOptions) *storage.Local {
	t.Helper()
	d, err := storage.NewLocal(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestLocal(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T, opts storage.DiskOptions) storage.Storage { return newLocal(t, t.TempDir(), opts) }, storagetest.Options{})
}

// TestLocalConfinement: nothing outside the disk's directory is reached,
// through a symbolic link planted inside it or otherwise, and failed puts
// leave no temporary file.
func TestLocalConfinement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.MkdirAll(outside, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "disk")
	d := newLocal(t, dir, storage.DiskOptions{})
	// Links planted in the directory (by another program: keys cannot
	// make them) to a file and a directory outside it.
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"link.txt", "linkdir/secret.txt"} {
		if rc, _, err := d.Get(ctx, key, nil); err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			t.Errorf("Get(%q) read %q from outside the disk", key, b)
		}
		if _, err := d.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q) reached outside the disk", key)
		}
	}
	if _, err := d.Put(ctx, "linkdir/planted.txt", strings.NewReader("x"), storage.PutOptions{}); err == nil {
		t.Error("Put through a linked directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted.txt")); err == nil {
		t.Error("a file was written outside the disk")
	}
	if err := d.Delete(ctx, "linkdir/secret.txt"); err == nil {
		if _, err := os.Stat(filepath.Join(outside, "secret.txt")); err != nil {
			t.Error("Delete removed a file outside the disk")
		}
	}
	for o, err := range d.List(ctx, "") {
		if err == nil && (o.Key == "link.txt" || strings.HasPrefix(o.Key, "linkdir/")) {
			t.Errorf("List followed a link: %s", o.Key)
		}
	}
	// Failed puts leave no temporary file behind.
	if _, err := d.Put(ctx, "big", strings.NewReader("123456"), storage.PutOptions{MaxSize: 3}); !errors.Is(err, storage.ErrTooLarge) {
		t.Fatal(err)
	}
	tmp, err := os.ReadDir(filepath.Join(dir, ".quarry", "tmp"))
	if err != nil || len(tmp) != 0 {
		t.Errorf("temporary files left: %v %v", tmp, err)
	}
	// What Put wrote is a plain file under the key's path.
	if _, err := d.Put(ctx, "a/b/c.txt", strings.NewReader("abc"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a", "b", "c.txt")); err != nil || string(b) != "abc" {
		t.Errorf("on disk: %q %v", b, err)
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"a", "a/b/c.png", "médias/été 2024/photo (1).jpg", "with space", ".hidden", "a/.quarry", "..a", "a..b", strings.Repeat("k", storage.MaxKeyLen)} {
		if err := storage.ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q): %v", key, err)
		}
	}
	for _, tc := range []struct{ key, msg string }{
		{"", "empty"}, {"/abs", "starts with /"}, {"a/", "ends with /"}, {"a//b", "empty segment"},
		{"a/../b", ".. segment"}, {"./a", ". segment"}, {`a\b`, "backslash"}, {"a\x00b", "U+0000"},
		{"a\u0085b", "U+0085"}, {"\xff", "UTF-8"}, {".quarry/tmp/x", ".quarry/"}, {strings.Repeat("k", 1025), "1025 bytes"},
	} {
		err := storage.ValidateKey(tc.key)
		if !errors.Is(err, storage.ErrInvalidKey) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ValidateKey(%q): %v, want ErrInvalidKey saying %q", tc.key, err, tc.msg)
		}
	}
}

// TestDisksFromEnv: the default disk, named disks with public URLs, the
// presigned URLs' handler, and bad configuration named precisely.
func TestDisksFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := signing.Random()
	d, err := storage.DisksFromEnv([]string{
		"QUARRY_STORAGE_DEFAULT_URL=file:" + filepath.Join(dir, "media"),
		"QUARRY_STORAGE_AVATARS_URL=mem:",
		"QUARRY_STORAGE_AVATARS_PUBLIC_URL=https://cdn.example.com/av",
		"PATH=/usr/bin",
	}, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := strings.Join(d.Names(), ","); got != "avatars,default" {
		t.Errorf("Names: %s", got)
	}
	if _, ok := d.Default().(*storage.Local); !ok {
		t.Errorf("default disk: %T", d.Default())
	}
	av, err := d.Disk("avatars")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := av.PublicURL("42.png"); err != nil || u != "https://cdn.example.com/av/42.png" {
		t.Errorf("public URL: %q %v", u, err)
	}
	if u, err := av.PresignGet(context.Background(), "42.png", 60e9); err != nil || !strings.HasPrefix(u, storage.SignedPath+"avatars/42.png?") {
		t.Errorf("presigned URL: %q %v", u, err)
	}
	if _, err := d.Disk("nope"); err == nil || !strings.Contains(err.Error(), "QUARRY_STORAGE_NOPE_URL") || !strings.Contains(err.Error(), "avatars, default") {
		t.Errorf("unknown disk: %v", err)
	}
	if d.Handler() == nil {
		t.Error("no handler")
	}

	// The default needs no configuration.
	def, err := storage.DisksFromEnv(nil, keys)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := def.Default().(*storage.Local); !ok || l.Dir() != "./var/media" {
		t.Errorf("default disk without configuration: %#v", def.Default())
	}
	def.Close()
	os.RemoveAll("var") // made by the default disk in the package directory

	for _, tc := range []struct{ env, msg string }{
		{"QUARRY_STORAGE_X_URL=ftp://host/x", `QUARRY_STORAGE_X_URL: storage: disk URL "ftp://host/x": unknown scheme "ftp"`},
		{"QUARRY_STORAGE_X_URL=./var/media", "has no scheme"},
		{"QUARRY_STORAGE_X_URL=file:", "names no directory"},
		{"QUARRY_STORAGE_X_URL=file://otherhost/x", "not of otherhost"},
		{"QUARRY_STORAGE_X_URL=s3://key:topsecret@bucket/prefix", "holds credentials: give them in QUARRY_STORAGE_<NAME>_ACCESS_KEY_ID"},
		{"QUARRY_STORAGE_X_URL=s3://bucket/prefix", "needs an access key id"},
		{"QUARRY_STORAGE_X_URL=s3://bucket?endpoint=h&secure=yes", `unknown parameter "secure"`},
		{"QUARRY_STORAGE_X_URL=s3://bucket?endpoint=h&insecure=maybe", `insecure="maybe" (want true or false)`},
		{"QUARRY_STORAGE_X_URL=s3:///prefix", "needs a bucket"},
		{"QUARRY_STORAGE_X_URL=%zz", "QUARRY_STORAGE_X_URL"},
	} {
		_, err := storage.DisksFromEnv([]string{tc.env}, keys)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: %v, want an error saying %q (and no password)", tc.env, err, tc.msg)
		}
	}
}
