// Package storagetest is the conformance suite every storage backend
// passes: run it from the backend's tests with a function that opens an
// empty disk.
//
//	func TestLocal(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T, opts storage.DiskOptions) storage.Storage {
//			d, err := storage.NewLocal(t.TempDir(), opts)
//			…
//		})
//	}
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/framework/storage"
)

// Open returns a new, empty disk built with opts (its Signer and clock;
// a backend that signs its own URLs may ignore them).
type Open func(t *testing.T, opts storage.DiskOptions) storage.Storage

// Options describe the backend under test.
type Options struct {
	// SelfSigned: the disk's presigned URLs are its server's own (S3),
	// not a Signer's; the suite then checks them against that server, in
	// real time (an expiry is waited for), with the answers it gives (403
	// for a broken condition where a Signer says 415 or 413).
	SelfSigned bool
}

// clock is a settable time for the presigned URLs' expiry.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newClock() *clock               { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }
func put(t *testing.T, s storage.Storage, key, body string) storage.Object {
	t.Helper()
	obj, err := s.Put(context.Background(), key, strings.NewReader(body), storage.PutOptions{ContentType: "text/plain; charset=utf-8"})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return obj
}

func read(t *testing.T, s storage.Storage, key string, rng *storage.Range) string {
	t.Helper()
	rc, _, err := s.Get(context.Background(), key, rng)
	if err != nil {
		t.Fatalf("Get(%q, %v): %v", key, rng, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Run runs the suite on disks made by open.
func Run(t *testing.T, open Open, o Options) {
	ctx := context.Background()
	plain := func(t *testing.T) storage.Storage { return open(t, storage.DiskOptions{}) }

	t.Run("put, get, stat, replace", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		obj := put(t, s, "docs/readme.txt", "hello")
		if obj.Key != "docs/readme.txt" || obj.Size != 5 || obj.ETag == "" || !strings.HasPrefix(obj.ContentType, "text/plain") {
			t.Errorf("Put returned %+v", obj)
		}
		if got := read(t, s, "docs/readme.txt", nil); got != "hello" {
			t.Errorf("Get: %q", got)
		}
		st, err := s.Stat(ctx, "docs/readme.txt")
		if err != nil || st.Size != 5 || st.ETag != obj.ETag {
			t.Errorf("Stat: %+v %v (Put said %+v)", st, err, obj)
		}
		obj2 := put(t, s, "docs/readme.txt", "hello, again")
		if got := read(t, s, "docs/readme.txt", nil); got != "hello, again" || obj2.Size != 12 || obj2.ETag == obj.ETag {
			t.Errorf("after replacing: %q %+v (etag before %s)", got, obj2, obj.ETag)
		}
		empty := put(t, s, "empty", "")
		if got := read(t, s, "empty", nil); got != "" || empty.Size != 0 {
			t.Errorf("empty object: %q %+v", got, empty)
		}
		unicode := "médias/été 2024/photo (1).txt"
		put(t, s, unicode, "ü")
		if got := read(t, s, unicode, nil); got != "ü" {
			t.Errorf("unicode key: %q", got)
		}
	})

	t.Run("missing objects", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		if _, err := s.Stat(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat: %v", err)
		}
		if _, _, err := s.Get(ctx, "nope", nil); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get: %v", err)
		}
		if ok, err := storage.Exists(ctx, s, "nope"); ok || err != nil {
			t.Errorf("Exists: %v %v", ok, err)
		}
		if err := s.Delete(ctx, "nope"); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
		put(t, s, "a/b", "x")
		if _, err := s.Stat(ctx, "a"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat of a key's directory: %v", err)
		}
		if ok, err := storage.Exists(ctx, s, "a/b"); !ok || err != nil {
			t.Errorf("Exists: %v %v", ok, err)
		}
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := storage.Exists(ctx, s, "a/b"); ok {
			t.Error("deleted object still exists")
		}
	})

	t.Run("ranges", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		put(t, s, "digits", "0123456789")
		for _, tc := range []struct {
			rng  storage.Range
			want string
		}{
			{storage.Range{Offset: 0, Length: 3}, "012"},
			{storage.Range{Offset: 7, Length: -1}, "789"},
			{storage.Range{Offset: 7, Length: 100}, "789"},
			{storage.Range{Offset: 9, Length: 1}, "9"},
			{storage.Range{Offset: 4, Length: 0}, ""},
		} {
			if got := read(t, s, "digits", &tc.rng); got != tc.want {
				t.Errorf("range %+v: %q, want %q", tc.rng, got, tc.want)
			}
		}
		for _, rng := range []storage.Range{{Offset: 10, Length: 1}, {Offset: -1, Length: 2}, {Offset: 11, Length: -1}} {
			if _, _, err := s.Get(ctx, "digits", &rng); !errors.Is(err, storage.ErrBadRange) {
				t.Errorf("range %+v: %v, want ErrBadRange", rng, err)
			}
		}
	})

	t.Run("size limit and failed puts store nothing", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		if _, err := s.Put(ctx, "exact", strings.NewReader("12345"), storage.PutOptions{MaxSize: 5}); err != nil {
			t.Errorf("a body of exactly MaxSize: %v", err)
		}
		put(t, s, "kept", "old")
		if _, err := s.Put(ctx, "kept", strings.NewReader("123456"), storage.PutOptions{MaxSize: 5}); !errors.Is(err, storage.ErrTooLarge) {
			t.Errorf("a body over MaxSize: %v", err)
		}
		// An endless body stops one byte past the limit.
		var n countingReader
		if _, err := s.Put(ctx, "endless", &n, storage.PutOptions{MaxSize: 1 << 20}); !errors.Is(err, storage.ErrTooLarge) {
			t.Errorf("an endless body: %v", err)
		}
		if n.n > 1<<20+64<<10 {
			t.Errorf("read %d bytes of an endless body with a 1 MiB limit", n.n)
		}
		if _, err := s.Put(ctx, "kept", io.MultiReader(strings.NewReader("partial"), errReader{}), storage.PutOptions{}); err == nil {
			t.Error("a failing body was stored")
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, "kept", strings.NewReader("new"), storage.PutOptions{}); err == nil {
			t.Error("a put with an ended context succeeded")
		}
		if got := read(t, s, "kept", nil); got != "old" {
			t.Errorf("after failed puts the object is %q, want the old one", got)
		}
		for _, k := range []string{"endless"} {
			if ok, _ := storage.Exists(ctx, s, k); ok {
				t.Errorf("a refused put left %s", k)
			}
		}
		var keys []string
		for o, err := range s.List(ctx, "") {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, o.Key)
		}
		if !slices.Equal(keys, []string{"exact", "kept"}) {
			t.Errorf("objects after failed puts: %v", keys)
		}
	})

	t.Run("readers see the old object or the new one", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		// Of different sizes: a reader must not get one's size and the
		// other's bytes.
		old, next := strings.Repeat("a", 256<<10), strings.Repeat("b", 100<<10)
		put(t, s, "big", old)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var bad atomic.Value
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					rc, _, err := s.Get(ctx, "big", nil)
					if err != nil {
						bad.Store(err.Error())
						return
					}
					b, err := io.ReadAll(rc)
					rc.Close()
					if err != nil || (string(b) != old && string(b) != next) {
						bad.Store(fmt.Sprintf("read %d bytes, neither object (%v)", len(b), err))
						return
					}
				}
			})
		}
		for i := range 10 {
			body := old
			if i%2 == 0 {
				body = next
			}
			put(t, s, "big", body)
		}
		close(stop)
		wg.Wait()
		if v := bad.Load(); v != nil {
			t.Error(v)
		}
	})

	t.Run("list by prefix", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		for _, k := range []string{"a/x", "a/y/z", "a.txt", "ab", "b/a", "a/y0"} {
			put(t, s, k, k)
		}
		list := func(prefix string) []string {
			t.Helper()
			var out []string
			for o, err := range s.List(ctx, prefix) {
				if err != nil {
					t.Fatalf("List(%q): %v", prefix, err)
				}
				if o.Size != int64(len(o.Key)) {
					t.Errorf("List(%q): %s has size %d", prefix, o.Key, o.Size)
				}
				out = append(out, o.Key)
			}
			return out
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"", []string{"a.txt", "a/x", "a/y/z", "a/y0", "ab", "b/a"}},
			{"a", []string{"a.txt", "a/x", "a/y/z", "a/y0", "ab"}},
			{"a/", []string{"a/x", "a/y/z", "a/y0"}},
			{"a/y", []string{"a/y/z", "a/y0"}},
			{"a/y/", []string{"a/y/z"}},
			{"c", nil},
			{"c/d/", nil},
			{"a/x/y", nil}, // through a file
			{"a/x/", nil},
		} {
			if got := list(tc.prefix); !slices.Equal(got, tc.want) {
				t.Errorf("List(%q) = %v, want %v", tc.prefix, got, tc.want)
			}
		}
		for o, err := range s.List(ctx, "../") {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("List(../): %v %v", o, err)
			}
		}
		n := 0
		for range s.List(ctx, "") {
			n++
			break // stopping early is allowed
		}
		if n != 1 {
			t.Errorf("stopped after %d", n)
		}
	})

	t.Run("invalid keys are refused everywhere", func(t *testing.T) {
		t.Parallel()
		s := plain(t)
		for _, key := range invalidKeys {
			if _, err := s.Put(ctx, key, strings.NewReader("x"), storage.PutOptions{}); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Put(%q): %v", key, err)
			}
			if _, _, err := s.Get(ctx, key, nil); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Get(%q): %v", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Stat(%q): %v", key, err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Delete(%q): %v", key, err)
			}
		}
		for o, err := range s.List(ctx, "") {
			t.Errorf("refused puts stored %v %v", o.Key, err)
		}
	})

	t.Run("public URL", func(t *testing.T) {
		t.Parallel()
		s := open(t, storage.DiskOptions{PublicBaseURL: "https://cdn.example.com/media/"})
		u, err := s.PublicURL("a b/ü?.png")
		if err != nil || u != "https://cdn.example.com/media/a%20b/%C3%BC%3F.png" {
			t.Errorf("PublicURL: %q %v", u, err)
		}
		if _, err := plain(t).PublicURL("x"); !errors.Is(err, storage.ErrUnsupported) {
			t.Errorf("PublicURL without a base: %v", err)
		}
	})

	t.Run("presigned GET and PUT over HTTP", func(t *testing.T) { presigned(t, open, o) })
}

// invalidKeys is the corpus of keys every disk refuses.
var invalidKeys = []string{
	"", "/etc/passwd", "../secret", "a/../../b", "a/./b", "a//b", "a/", ".", "..",
	"a\\b", "..\\..\\windows", "nul\x00byte", "line\nbreak", "tab\there", "del\x7f",
	"bad\xffutf8", ".quarry/tmp/x", ".quarry", strings.Repeat("k", storage.MaxKeyLen+1),
}

type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	c.n += int64(len(p))
	return len(p), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("the client went away") }

// presigned checks the presigned URLs with a plain HTTP client: against
// the disk's Signer's Handler, or the disk's own server.
func presigned(t *testing.T, open Open, o Options) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	var s storage.Storage
	if o.SelfSigned {
		s = open(t, storage.DiskOptions{})
	} else {
		mux := http.NewServeMux()
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		signer := &storage.Signer{Keys: signing.Random(), BaseURL: srv.URL + "/files", Now: clk.now}
		s = open(t, storage.DiskOptions{Signer: signer})
		mux.Handle("/files/", http.StripPrefix("/files", signer.Handler(s)))
	}
	put(t, s, "docs/report 1.txt", "0123456789")

	do := func(method, url string, body string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	refused := func(what string, resp *http.Response, body string, want int) {
		t.Helper()
		if o.SelfSigned && want != 416 {
			// The server's answer to a request its signature does not
			// cover: 403, or 400 for a URL missing a signature part.
			want = 403
			if resp.StatusCode == 400 {
				want = 400
			}
		}
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d: %.200s", what, resp.StatusCode, want, body)
		}
		if strings.Contains(body, "0123456789") {
			t.Errorf("%s: the object was served", what)
		}
	}
	// tamper changes the URL's query: the expiry, or the signature.
	tamper := func(raw string, fn func(q url.Values)) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		fn(q)
		u.RawQuery = q.Encode()
		return u.String()
	}

	ttl := time.Minute
	if o.SelfSigned {
		ttl = 3 * time.Second // waited for below
	}
	get, err := s.PresignGet(ctx, "docs/report 1.txt", ttl)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := do("GET", get, "", nil); resp.StatusCode != 200 || body != "0123456789" || resp.Header.Get("ETag") == "" {
		t.Errorf("presigned GET: %d %q", resp.StatusCode, body)
	}
	if resp, body := do("GET", get, "", map[string]string{"Range": "bytes=2-4"}); resp.StatusCode != 206 || body != "234" || resp.Header.Get("Content-Range") != "bytes 2-4/10" {
		t.Errorf("presigned GET of a range: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	resp, body := do("GET", get, "", map[string]string{"Range": "bytes=20-"})
	refused("a range past the end", resp, body, 416)
	if !o.SelfSigned {
		if resp, body := do("HEAD", get, "", nil); resp.StatusCode != 200 || body != "" || resp.ContentLength != 10 {
			t.Errorf("presigned HEAD: %d %q %d", resp.StatusCode, body, resp.ContentLength)
		}
	}
	for name, u := range map[string]string{
		"another key": strings.Replace(get, "report%201", "report%202", 1),
		"a tampered signature": tamper(get, func(q url.Values) {
			for _, k := range []string{"sig", "X-Amz-Signature"} {
				if v := q.Get(k); v != "" {
					q.Set(k, strings.Repeat("0", len(v)))
				}
			}
		}),
		"no signature": tamper(get, func(q url.Values) { q.Del("sig"); q.Del("X-Amz-Signature") }),
		"a later expiry": tamper(get, func(q url.Values) {
			if q.Has("exp") {
				q.Set("exp", "9"+q.Get("exp"))
			}
			if q.Has("X-Amz-Expires") {
				q.Set("X-Amz-Expires", "604800")
			}
		}),
	} {
		resp, body := do("GET", u, "", nil)
		refused("GET with "+name, resp, body, 403)
	}
	resp, body = do("PUT", get, "overwrite", map[string]string{"Content-Type": "text/plain"})
	refused("a GET URL used to PUT", resp, body, 403)
	if got := read(t, s, "docs/report 1.txt", nil); got != "0123456789" {
		t.Errorf("the object after refused requests: %q", got)
	}

	p, err := s.PresignPut(ctx, "uploads/a.png", ttl, storage.PutConditions{ContentType: "image/png", MaxSize: 8, Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != "PUT" || p.Headers["Content-Type"] != "image/png" || p.Headers["Content-Length"] != "8" || !p.Expires.After(time.Now().Add(-time.Minute)) {
		t.Errorf("PresignPut: %+v", p)
	}
	resp, body = do("PUT", p.URL, "12345678", map[string]string{"Content-Type": "text/html"})
	refused("a PUT with another content type", resp, body, 415)
	resp, body = do("PUT", p.URL, "123456789", map[string]string{"Content-Type": "image/png"})
	refused("a PUT of another size", resp, body, 400)
	if ok, _ := storage.Exists(ctx, s, "uploads/a.png"); ok {
		t.Error("a refused PUT stored the object")
	}
	if resp, body := do("PUT", p.URL, "12345678", map[string]string{"Content-Type": "image/png"}); resp.StatusCode != 200 {
		t.Errorf("presigned PUT: %d %s", resp.StatusCode, body)
	}
	if got := read(t, s, "uploads/a.png", nil); got != "12345678" {
		t.Errorf("after the presigned PUT: %q", got)
	}
	if st, err := s.Stat(ctx, "uploads/a.png"); err != nil || st.ContentType != "image/png" {
		t.Errorf("the uploaded object: %+v %v", st, err)
	}
	resp, body = do("GET", p.URL, "", nil)
	refused("a PUT URL used to GET", resp, body, 403)
	if _, err := s.PresignPut(ctx, "x", ttl, storage.PutConditions{MaxSize: 8, Size: 9}); !errors.Is(err, storage.ErrTooLarge) {
		t.Errorf("a declared size over the limit: %v", err)
	}

	if !o.SelfSigned {
		// A signer bounds a body of unknown size too.
		q, err := s.PresignPut(ctx, "uploads/b.bin", ttl, storage.PutConditions{MaxSize: 8})
		if err != nil {
			t.Fatal(err)
		}
		resp, body = do("PUT", q.URL, "123456789", nil)
		refused("a PUT over the size limit", resp, body, 413)
		if ok, _ := storage.Exists(ctx, s, "uploads/b.bin"); ok {
			t.Error("a PUT over the limit stored the object")
		}
	}

	// Expired: the clock moves on, or (a server's own URLs) time passes.
	if o.SelfSigned {
		// The server's URLs expire by its clock, to the second, each from
		// when it was signed (the PUT's after the GET's): wait for each.
		expire := func(what, method, u, body string, header map[string]string) {
			t.Helper()
			deadline := time.Now().Add(15 * time.Second)
			for {
				resp, _ := do(method, u, body, header)
				if resp.StatusCode == 403 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s still answers %d well after its expiry", what, resp.StatusCode)
				}
				time.Sleep(250 * time.Millisecond) // polling for the server's clock to pass the expiry
			}
		}
		expire("the presigned GET", "GET", get, "", nil)
		expire("the presigned PUT", "PUT", p.URL, "12345678", map[string]string{"Content-Type": "image/png"})
	} else {
		clk.add(time.Minute + time.Second)
		if resp, body := do("GET", get, "", nil); resp.StatusCode != 403 || !strings.Contains(body, "expired") {
			t.Errorf("an expired GET: %d %q", resp.StatusCode, body)
		}
		resp, body = do("PUT", p.URL, "12345678", map[string]string{"Content-Type": "image/png"})
		refused("an expired PUT", resp, body, 403)
	}

	for _, bad := range []time.Duration{0, -time.Second, storage.MaxPresignTTL + time.Second} {
		if _, err := s.PresignGet(ctx, "docs/report 1.txt", bad); err == nil {
			t.Errorf("PresignGet with ttl %s", bad)
		}
	}
	if _, err := s.PresignGet(ctx, "../x", time.Minute); !errors.Is(err, storage.ErrInvalidKey) {
		t.Errorf("PresignGet of a bad key: %v", err)
	}
	if !o.SelfSigned {
		if _, err := open(t, storage.DiskOptions{}).PresignPut(ctx, "x", time.Minute, storage.PutConditions{}); !errors.Is(err, storage.ErrUnsupported) {
			t.Errorf("PresignPut without a signer: %v", err)
		}
	}
}
