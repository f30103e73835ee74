package signedurl_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/signedurl"
	"github.com/quarry-go/quarry/framework/signing"
)

func keys(t *testing.T, current string, old ...string) *signing.Keyring {
	t.Helper()
	k, err := signing.New(current, old...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSignedURLs signs a link and tampers with it every way a client
// could: only the link as signed, on its host, method and path, before
// its expiry, for its purpose, under a key the ring still holds, passes.
func TestSignedURLs(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s := &signedurl.Signer{Keys: keys(t, "current-secret"), Purpose: "download", Now: clock}
	link, err := s.Sign("GET", "https://example.com/files/a%20b.pdf?v=2&tag=x&tag=y", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	edit := func(f func(u *url.URL, q url.Values)) string {
		c := *u
		q := c.Query()
		f(&c, q)
		c.RawQuery = q.Encode()
		return c.String()
	}
	later := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(d) } }
	rotated := keys(t, "next-secret", "current-secret")
	for _, c := range []struct {
		name   string
		method string
		link   string
		signer *signedurl.Signer
		base   string
		want   int
		has    string
	}{
		{name: "as signed", link: link, want: 200},
		{name: "query reordered", link: edit(func(*url.URL, url.Values) {}), want: 200},
		{name: "HEAD", method: "HEAD", link: link, want: 200},
		{name: "POST", method: "POST", link: link, want: 403},
		{name: "other path", link: edit(func(u *url.URL, _ url.Values) { u.Path = "/files/other.pdf"; u.RawPath = "" }), want: 403, has: "not valid"},
		{name: "other host", link: edit(func(u *url.URL, _ url.Values) { u.Host = "evil.example.com" }), want: 403},
		{name: "host in capitals", link: edit(func(u *url.URL, _ url.Values) { u.Host = "EXAMPLE.com" }), want: 200},
		{name: "host with the default port", link: edit(func(u *url.URL, _ url.Values) { u.Host = "example.com:443" }), want: 200},
		{name: "host with another port", link: edit(func(u *url.URL, _ url.Values) { u.Host = "example.com:8443" }), want: 403},
		{name: "an unparsed part added", link: link + "&evil;=1", want: 403},
		{name: "a bad escape added", link: link + "&x=%zz", want: 403},
		{name: "value changed", link: edit(func(_ *url.URL, q url.Values) { q.Set("v", "3") }), want: 403},
		{name: "values reordered", link: edit(func(_ *url.URL, q url.Values) { q["tag"] = []string{"y", "x"} }), want: 403},
		{name: "parameter added", link: edit(func(_ *url.URL, q url.Values) { q.Set("admin", "1") }), want: 403},
		{name: "parameter removed", link: edit(func(_ *url.URL, q url.Values) { q.Del("v") }), want: 403},
		{name: "expiry pushed", link: edit(func(_ *url.URL, q url.Values) { q.Set("expires", "9999999999") }), want: 403, has: "not valid"},
		{name: "no signature", link: edit(func(_ *url.URL, q url.Values) { q.Del("signature") }), want: 403},
		{name: "two signatures", link: edit(func(_ *url.URL, q url.Values) { q.Add("signature", q.Get("signature")) }), want: 403},
		{name: "signature not base64", link: edit(func(_ *url.URL, q url.Values) { q.Set("signature", "!!") }), want: 403},
		{name: "expiry not a number", link: edit(func(_ *url.URL, q url.Values) { q.Set("expires", "soon") }), want: 403},
		{name: "at the expiry", link: link, signer: &signedurl.Signer{Keys: s.Keys, Purpose: "download", Now: later(time.Hour)}, want: 200},
		{name: "expired", link: link, signer: &signedurl.Signer{Keys: s.Keys, Purpose: "download", Now: later(time.Hour + time.Second)}, want: 403, has: "expired"},
		{name: "other purpose", link: link, signer: &signedurl.Signer{Keys: s.Keys, Purpose: "login", Now: clock}, want: 403},
		{name: "old key still held", link: link, signer: &signedurl.Signer{Keys: rotated, Purpose: "download", Now: clock}, want: 200},
		{name: "old key retired", link: link, signer: &signedurl.Signer{Keys: keys(t, "next-secret"), Purpose: "download", Now: clock}, want: 403},
		{name: "another tenant's prefix", link: link, base: "/t/acme", want: 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			signer := s
			if c.signer != nil {
				signer = c.signer
			}
			method := c.method
			if method == "" {
				method = "GET"
			}
			h := signer.Require(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }))
			req := httptest.NewRequest(method, c.link, nil)
			if c.base != "" {
				req = req.WithContext(framework.WithBasePath(context.Background(), c.base))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.want || !strings.Contains(rec.Body.String(), c.has) {
				t.Errorf("%s %s: %d %s, want %d with %q", method, c.link, rec.Code, rec.Body, c.want, c.has)
			}
			if rec.Code == 403 && rec.Header().Get("Content-Type") != framework.ProblemContentType {
				t.Errorf("403 as %q", rec.Header().Get("Content-Type"))
			}
		})
	}

	// Under a base path, the link signed with it verifies where the
	// router sees the path without it.
	tenantLink, err := s.Sign("GET", "https://example.com/t/acme/files/x", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tu, _ := url.Parse(tenantLink)
	tu.Path = "/files/x"
	req := httptest.NewRequest("GET", tu.String(), nil).WithContext(framework.WithBasePath(context.Background(), "/t/acme"))
	if err := s.Verify(req); err != nil {
		t.Errorf("a link under /t/acme, verified within it: %v", err)
	}
}

// TestSignRefuses: Sign takes only what it can sign unambiguously.
func TestSignRefuses(t *testing.T) {
	t.Parallel()
	s := &signedurl.Signer{Keys: keys(t, "k")}
	for _, c := range []struct {
		method, target string
		ttl            time.Duration
	}{
		{"GET", "/relative/path", time.Hour},
		{"GET", "example.com/x", time.Hour},
		{"get", "https://example.com/x", time.Hour},
		{"", "https://example.com/x", time.Hour},
		{"GET", "https://example.com/x", 0},
		{"GET", "https://example.com/x", -time.Second},
		{"GET", "https://example.com/x", signedurl.MaxTTL + time.Second},
		{"GET", "https://example.com/x?expires=1", time.Hour},
		{"GET", "https://example.com/x?signature=a", time.Hour},
		{"GET", "https://user:pw@example.com/x", time.Hour},
		{"GET", "https://example.com/x#frag", time.Hour},
		{"GET", "https://exa mple.com/x", time.Hour},
		{"GET", "https://example.com/dl?file=a;b&x=1", time.Hour},
		{"GET", "https://example.com/dl?file=%zz", time.Hour},
		{"GET", "https://bücher.example/x", time.Hour},
	} {
		if link, err := s.Sign(c.method, c.target, c.ttl); err == nil {
			t.Errorf("Sign(%q, %q, %s) = %s, want an error", c.method, c.target, c.ttl, link)
		}
	}
	if _, err := (&signedurl.Signer{}).Sign("GET", "https://example.com/x", time.Hour); err == nil {
		t.Error("a Signer without keys signed")
	}
}
