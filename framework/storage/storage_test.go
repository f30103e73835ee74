package storage_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
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
		{"QUARRY_STORAGE_X_URL=s3://AKIA:topsecret%zz@bucket", "AKIA:xxxxx@bucket"},
	} {
		_, err := storage.DisksFromEnv([]string{tc.env}, keys)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: %v, want an error saying %q (and no password)", tc.env, err, tc.msg)
		}
	}
}

// TestSignedHandler: a URL signed for one disk is refused by another's
// handler; stored files are served so that none runs as a page of the
// app; a suffix range of an empty object; conditions given as negative
// numbers mean none.
func TestSignedHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := storage.DisksFromEnv([]string{"QUARRY_STORAGE_DEFAULT_URL=mem:", "QUARRY_STORAGE_OTHER_URL=mem:"}, signing.Random())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	def, _ := d.Disk("default")
	other, _ := d.Disk("other")
	do := func(method, u, ct, body string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+u, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	p, err := def.PresignPut(ctx, "x.txt", time.Minute, storage.PutConditions{})
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(p.URL, storage.SignedPath+"default/", storage.SignedPath+"other/", 1)
	if resp := do("PUT", moved, "", "planted"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a URL of the default disk used on another: %d", resp.StatusCode)
	}
	if ok, _ := storage.Exists(ctx, other, "x.txt"); ok {
		t.Error("the other disk took the upload")
	}

	for _, tc := range []struct {
		key, ct    string
		attachment bool
	}{{"page.html", "text/html", true}, {"pic.svg", "image/svg+xml", true}, {"pic.png", "image/png", false}, {"notes.txt", "text/plain; charset=utf-8", false}} {
		if _, err := def.Put(ctx, tc.key, strings.NewReader("<script>alert(1)</script>"), storage.PutOptions{ContentType: tc.ct}); err != nil {
			t.Fatal(err)
		}
		g, _ := def.PresignGet(ctx, tc.key, time.Minute)
		resp := do("GET", g, "", "")
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: CSP %q", tc.key, csp)
		}
		if got := resp.Header.Get("Content-Disposition") == "attachment"; got != tc.attachment {
			t.Errorf("%s (%s): attachment %v, want %v", tc.key, tc.ct, got, tc.attachment)
		}
	}

	if _, err := def.Put(ctx, "empty", strings.NewReader(""), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	g, _ := def.PresignGet(ctx, "empty", time.Minute)
	if resp := do("GET", g, "", "", "Range", "bytes=-5"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Range") != "" {
		t.Errorf("a suffix range of an empty object: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}

	n, err := def.PresignPut(ctx, "neg.bin", time.Minute, storage.PutConditions{MaxSize: -1, Size: -5})
	if err != nil {
		t.Fatal(err)
	}
	if resp := do("PUT", n.URL, "", "abc"); resp.StatusCode != http.StatusOK {
		t.Errorf("negative conditions (none): %d", resp.StatusCode)
	}
}

// TestDisksMiddlewareBeforeAuth: mounted with WrapRouter, the presigned
// URLs are served before the app's route middleware (an auth layer that
// refuses PUTs without a CSRF token), which still guards the app's routes.
func TestDisksMiddlewareBeforeAuth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest}, framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	d, err := storage.DisksFromEnv([]string{"QUARRY_STORAGE_DEFAULT_URL=mem:"}, app.Keys())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	app.Use(func(next http.Handler) http.Handler { // a CSRF check in spirit
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Header.Get("X-CSRF-Token") == "" {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	app.WrapRouter(d.Middleware)
	app.Router().HandleFunc("PUT /notes", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	p, err := d.Default().PresignPut(ctx, "up.txt", time.Minute, storage.PutConditions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want int
	}{{p.URL, http.StatusOK}, {"/notes", http.StatusForbidden}} {
		req, _ := http.NewRequest("PUT", srv.URL+tc.path, strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("PUT %s: %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
	}
}
