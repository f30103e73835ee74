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
