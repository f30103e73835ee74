package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestAdminReports: the demo's queries annotated quarry:admin are report
// pages: listed for the users holding their permission, parameters as a
// form checked by their types (422 with the field's error), rows sorted
// by any column and exported as CSV; a user without the permission gets
// 403. On every dialect.
func TestAdminReports(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, srv := newBlog(t, db)
		addAdminUser(t, app, db, "reporter", true, false, "posts.view")
		addAdminUser(t, app, db, "tagless", true, false, "authors.view")
		b := &adminBrowser{browser: newBrowser(t, srv.URL)}
		if resp := b.login("reporter", adminPassword, "/admin/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		index := b.get("/admin/", 200)
		wantContains(t, "index", index, "Reports", `href="/admin/reports/PostList/"`, "Recent posts")
		wantAbsent(t, "index", index, `href="/admin/reports/TagList/"`)

		form := b.get("/admin/reports/PostList/", 200)
		wantContains(t, "form", form, `name="limit"`, `name="offset"`, "PostList pages through posts")
		wantAbsent(t, "form", form, "Export CSV")

		bad := b.get("/admin/reports/PostList/?run=1&limit=ten&offset=0", 422)
		wantContains(t, "bad limit", bad, "Please correct the errors below.", "want an integer")

		got := b.get("/admin/reports/PostList/?run=1&limit=3&offset=0&o=title", 200)
		wantContains(t, "report", got, "3 rows", `aria-sort="ascending"`, "Export CSV")
		titles := column(reportRows(got), 3)
		if len(titles) != 3 || !sortedStrings(titles) {
			t.Errorf("titles sorted ascending: %q", titles)
		}
		desc := column(reportRows(b.get("/admin/reports/PostList/?run=1&limit=3&offset=0&o=-id", 200)), 0)
		if len(desc) != 3 || !(desc[0] > desc[1] && desc[1] > desc[2]) {
			t.Errorf("ids descending: %q", desc)
		}
		_, csv := b.do("GET", "/admin/reports/PostList/?format=csv&run=1&limit=2&offset=0&o=id", nil, nil)
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,author_id,author_name,title,slug") {
			t.Errorf("export: %q", lines)
		}
		b.get("/admin/reports/TagList/", 403)
		b.get("/admin/reports/Nope/", 404)

		tb := &adminBrowser{browser: newBrowser(t, srv.URL)}
		tb.login("tagless", adminPassword, "/admin/")
		tb.get("/admin/reports/PostList/", 403)
	})
}

// reportRows are the cells of a report page's table rows.
func reportRows(body string) [][]string {
	i := strings.Index(body, `<table class="rows">`)
	if i < 0 {
		return nil
	}
	return rows(body[i:])
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if strings.ToLower(s[i-1]) > strings.ToLower(s[i]) {
			return false
		}
	}
	return true
}
