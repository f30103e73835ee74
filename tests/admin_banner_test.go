package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestAdminBanner: Options.Banner's text is shown above signed-in pages
// (error pages too), escaped, with a sign-out button; "" shows none.
func TestAdminBanner(t *testing.T) {
	t.Parallel()
	s := newAdminSite(t, dbtest.New(t, dialects.SQLite), func(o *admin.Options) {
		o.Banner = func(r *http.Request) string {
			if strings.HasPrefix(r.URL.Path, "/admin/products/") {
				return ""
			}
			return ` Notice <b>bold</b> & "quoted" `
		}
	})
	root := s.as("root")
	for _, path := range []string{"/admin/", "/admin/no_such_table/"} {
		status := http.StatusOK
		if path != "/admin/" {
			status = http.StatusNotFound
		}
		page := root.get(path, status)
		wantContains(t, path, page, `<div class="banner" role="status">Notice &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34; — <form method="post" action="/logout`,
			`<button type="submit" class="link">sign out</button>`)
		wantAbsent(t, path, page, "<b>bold</b>")
	}
	wantAbsent(t, "products", root.get("/admin/products/", http.StatusOK), `class="banner"`)
}

// TestAdminBrandingBadInput: on every dialect, a branding whose logo URL
// or accent colour is not one the admin accepts is ignored (nothing of
// it reaches the page), its title is escaped text, and a valid accent
// and logo are applied.
func TestAdminBrandingBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		bad := []admin.Branding{
			{Title: `<script>alert(1)</script>`, LogoURL: "javascript:alert(1)", Accent: "red;}body{display:none"},
			{Title: "x", LogoURL: "//evil.example/logo.png", Accent: "#12345"},
			{Title: "x", LogoURL: "http://evil.example/logo.png", Accent: "#12345g"},
			{Title: "x", LogoURL: "https://user:pw@evil.example/l.png", Accent: "#1234567"},
			{Title: "x", LogoURL: "/logo.png\" onerror=\"alert(1)", Accent: "expression(alert(1))"},
			{Title: "x", LogoURL: `/a\b.png`, Accent: ""},
		}
		i := 0
		s := newAdminSite(t, db, func(o *admin.Options) {
			o.Branding = func(r *http.Request) admin.Branding {
				if r.URL.Query().Has("good") {
					return admin.Branding{Title: "Acme & Co", LogoURL: "https://cdn.example/logo.svg", Accent: "#AA3300"}
				}
				return bad[i]
			}
		})
		root := s.as("root")
		for i = range bad {
			page := root.get("/admin/", http.StatusOK)
			wantAbsent(t, "bad branding", page, `<img class="logo"`, "--accent:", "javascript:", "evil.example", "display:none", "onerror", "<script>alert(1)</script>")
		}
		i = 0
		wantContains(t, "escaped title", root.get("/admin/", http.StatusOK), "&lt;script&gt;alert(1)&lt;/script&gt;")
		good := root.get("/admin/?good=1", http.StatusOK)
		wantContains(t, "good branding", good, `<img class="logo" src="https://cdn.example/logo.svg"`, "--accent: #aa3300;", "Acme &amp; Co")
	})
}
