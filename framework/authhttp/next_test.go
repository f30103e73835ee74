package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework/authhttp"
)

// sentLocation is the Location header a login redirect to next sends.
func sentLocation(next string) string {
	rec := httptest.NewRecorder()
	http.Redirect(rec, httptest.NewRequest("POST", "https://site.example/login", nil), authhttp.SafeNext(next), http.StatusSeeOther)
	return rec.Header().Get("Location")
}

// browserTarget resolves a Location the way a browser does: tabs and
// newlines dropped, backslashes read as slashes, then resolved against
// the page that redirected.
func browserTarget(loc string) (*url.URL, error) {
	loc = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, strings.TrimSpace(loc))
	base, _ := url.Parse("https://site.example/login")
	return base.Parse(loc)
}

func staysOnSite(t *testing.T, next string) string {
	t.Helper()
	loc := sentLocation(next)
	u, err := browserTarget(loc)
	if err != nil || u.Scheme != "https" || u.Host != "site.example" || u.User != nil {
		t.Fatalf("next=%q redirects to %q, which a browser reads as %v (%v)", next, loc, u, err)
	}
	if loc != authhttp.SafeNext(next) {
		t.Fatalf("next=%q: SafeNext says %q but the redirect sends %q", next, authhttp.SafeNext(next), loc)
	}
	return loc
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, next := range []string{
		// backslashes, raw and behind dot segments
		`/\evil.example`, `/./\evil.example`, `/../\evil.example`, `/.\evil.example`, `\/evil.example`, `/\/evil.example`,
		`/a/..\..\evil.example`, `/%2e/\evil.example`,
		// encoded slashes and backslashes
		`/%2F%2Fevil.example`, `/%5Cevil.example`, `/%5C%5Cevil.example`, `%2F%2Fevil.example`, `/%252F%252Fevil.example`,
		// tabs, newlines and other controls
		"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\x00/evil.example", "/\x7f/evil.example", "\t//evil.example",
		// dot segments that fold into a scheme-relative path
		`/.//evil.example`, `/..//evil.example`, `/a/../..//evil.example`, `/.//./evil.example`, `/./.././/evil.example`,
		// scheme-relative and absolute
		`//evil.example`, `///evil.example`, `////evil.example`, `https://evil.example`, `http:evil.example`, `HTTPS://evil.example`,
		// javascript: and data:
		`javascript:alert(1)`, `/javascript:alert(1)`, ` javascript:alert(1)`, `data:text/html,<script>alert(1)</script>`,
		// userinfo
		`//user@evil.example`, `/@evil.example`, `//site.example@evil.example`, `/\@evil.example`,
		// odd but harmless
		"", " ", "/", "?next=//evil", "#//evil", "/#//evil.example", "/?//evil.example", "/\u3000/evil.example", "/\uff0f/evil.example",
	} {
		staysOnSite(t, next)
	}
	for next, want := range map[string]string{
		"/admin/":                  "/admin/",
		"/admin/posts/?q=a//b&p=2": "/admin/posts/?q=a//b&p=2",
		"/admin/./posts/../users/": "/admin/users/",
		"/password":                "/password",
		"/a//b":                    "/a/b",
	} {
		if got := staysOnSite(t, next); got != want {
			t.Errorf("next=%q redirects to %q, want %q", next, got, want)
		}
	}
}

// FuzzSafeNext checks, for any next=, that the Location the login's
// redirect actually sends stays on this site as a browser reads it. It
// exercises only the redirect logic, so it runs at full speed.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{`/./\evil.example`, "//evil", "/\t/evil", `/%5Cevil`, "/admin/?q=1", "javascript:x", "/..//x", "//u@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) { staysOnSite(t, next) })
}
