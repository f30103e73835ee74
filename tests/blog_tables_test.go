package tests

import (
	"encoding/json"
	"maps"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework/api/apitest"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestBlogTables: the demo's tables served as REST resources answer as
// their OpenAPI document says, behind the session login with the admin's
// permissions (401 without a login, 403 without the table's permission,
// a cross-site write refused by the CSRF check), on every dialect.
func TestBlogTables(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, srv := newBlog(t, db)
		v, served := openAPIValidatorAt(t, srv.URL+"/api/tables/openapi.json")

		// quarry openapi --tables writes the resources' document from the
		// DDL (the resources' default options): the paths the demo
		// serves, and each table's columns described as it describes them.
		r := quarry(t, filepath.Join(repoRoot(t), "examples", "blog"), nil,
			"openapi", "--tables", "all", "--prefix", "/api/tables", "--dialect", string(db.Name), "--dev-url", db.URL)
		var written map[string]any
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &written) != nil {
			t.Fatalf("quarry openapi --tables: exit %d, %s\n%.500s", r.code, r.stderr, r.stdout)
		}
		apitest.Validator(t, []byte(r.stdout))
		var paths []string // the tables'; the endpoints' are written too
		for p := range written["paths"].(map[string]any) {
			if strings.HasPrefix(p, "/api/tables/") {
				paths = append(paths, p)
			}
		}
		if slices.Sort(paths); !slices.Equal(paths, slices.Sorted(maps.Keys(served["paths"].(map[string]any)))) {
			t.Errorf("quarry openapi --tables: paths %v, the demo serves %v", paths, slices.Sorted(maps.Keys(served["paths"].(map[string]any))))
		}
		for _, table := range []string{"authors", "posts", "tags", "post_tags"} {
			got, _ := written["components"].(map[string]any)["schemas"].(map[string]any)[table].(map[string]any)
			want, _ := served["components"].(map[string]any)["schemas"].(map[string]any)[table].(map[string]any)
			if got == nil || want == nil {
				t.Fatalf("quarry openapi --tables: no schema of %s", table)
			}
			if db.Name == "sqlite" {
				// The demo's SQLite migrations, written by the differ,
				// declare varchar without the DDL's lengths (a known gap
				// of the differ on SQLite): compare without them.
				for _, ps := range []map[string]any{got["properties"].(map[string]any), want["properties"].(map[string]any)} {
					for _, p := range ps {
						delete(p.(map[string]any), "maxLength")
					}
				}
			}
			if !reflect.DeepEqual(got["properties"], want["properties"]) {
				t.Errorf("quarry openapi --tables: %s is %v, the demo serves %v", table, got["properties"], want["properties"])
			}
		}
		if r := quarry(t, filepath.Join(repoRoot(t), "examples", "blog"), nil, "openapi", "--tables", "posts,nope", "--dialect", string(db.Name), "--dev-url", db.URL); r.code != 2 || !strings.Contains(r.stderr, "nope: no such table") {
			t.Errorf("quarry openapi --tables posts,nope: exit %d, %s", r.code, r.stderr)
		}

		reader := newAPIUser(t, app, srv.URL, "treader", "posts.view")
		editor := newAPIUser(t, app, srv.URL, "teditor", "posts.view", "authors.view", "tags.view", "tags.add", "tags.change", "tags.delete", "post_tags.view")
		same := func(u *apiUser) map[string]string {
			return map[string]string{"X-CSRF-Token": u.token, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
		}
		for _, c := range []struct {
			name, method, path, body string
			as                       *apiUser
			header                   map[string]string
			status                   int
			has                      []string
		}{
			{name: "anonymous", method: "GET", path: "/api/tables/posts/", status: 401},
			{name: "anonymous browser: 401, not a redirect", method: "GET", path: "/api/tables/posts/", header: map[string]string{"Accept": "text/html"}, status: 401,
				has: []string{"login required"}},
			{name: "reader lists posts", as: reader, method: "GET", path: "/api/tables/posts/?published=true&ordering=title&fields=slug,title",
				status: 200, has: []string{`"slug":"analytical-engine"`, `"next":null`}},
			{name: "reader may not expand authors", as: reader, method: "GET", path: "/api/tables/posts/?expand=author", status: 400,
				has: []string{"needs the permission authors.view"}},
			{name: "reader may not list authors", as: reader, method: "GET", path: "/api/tables/authors/", status: 403},
			{name: "editor expands", as: editor, method: "GET", path: "/api/tables/posts/?slug=analytical-engine&expand=author", status: 200,
				has: []string{`"author":{`, `"name":"Ada Lovelace"`}},
			{name: "search", as: editor, method: "GET", path: "/api/tables/posts/?search=ENGINE", status: 200, has: []string{`"slug":"analytical-engine"`}},
			{name: "composite key", as: editor, method: "GET", path: "/api/tables/post_tags/?ordering=post_id,tag_id&page_size=1", status: 200,
				has: []string{`"post_id":`, `"next":"/api/tables/post_tags/?`}},
			{name: "cross-site write", as: editor, header: map[string]string{"Origin": "https://evil.example"}, method: "POST", path: "/api/tables/tags/",
				body: `{"name":"evil"}`, status: 403, has: []string{"CSRF"}},
			{name: "create a tag", as: editor, header: same(editor), method: "POST", path: "/api/tables/tags/", body: `{"name":"qz-new-tag"}`,
				status: 201, has: []string{`"name":"qz-new-tag"`}},
			{name: "a taken name", as: editor, header: same(editor), method: "POST", path: "/api/tables/tags/", body: `{"name":"qz-new-tag"}`,
				status: 409, has: []string{`"name":"Another row of tags already has this name."`}},
			{name: "reader may not write", as: reader, header: same(reader), method: "POST", path: "/api/tables/tags/", body: `{"name":"x"}`, status: 403},
			{name: "the created tag", as: editor, method: "GET", path: "/api/tables/tags/?name=qz-new-tag", status: 200, has: []string{`"name":"qz-new-tag"`}},
		} {
			h := c.header
			if h == nil {
				h = map[string]string{"Accept": "application/json"}
			}
			cl := http.DefaultClient
			if c.as != nil {
				cl = c.as.c
			}
			status, got := callChecked(t, v, cl, c.method, srv.URL+c.path, c.body, h)
			if status != c.status {
				t.Errorf("%s: %s %s = %d, want %d\n%s", c.name, c.method, c.path, status, c.status, got)
			}
			for _, want := range c.has {
				if !strings.Contains(got, want) {
					t.Errorf("%s: lacks %s\n%s", c.name, want, got)
				}
			}
		}
	})
}

// TestBlogTablesProperties drives every operation of the tables' OpenAPI
// document as a user holding every permission, with parameters and
// bodies drawn from its schemas and a corpus of hostile values: no 5xx,
// every answer as documented (SQLite; TestBlogTables and the api
// package's tests cover the dialects).
func TestBlogTablesProperties(t *testing.T) {
	t.Parallel()
	dbt := dbtest.New(t, "sqlite")
	app, srv := newBlog(t, dbt)
	v, doc := openAPIValidatorAt(t, srv.URL+"/api/tables/openapi.json")
	var perms []string
	for _, table := range []string{"authors", "posts", "tags", "post_tags"} {
		for _, action := range []string{"view", "add", "change", "delete"} {
			perms = append(perms, table+"."+action)
		}
	}
	u := newAPIUser(t, app, srv.URL, "tall", perms...)
	header := map[string]string{"X-CSRF-Token": u.token, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	if calls := driveDocument(t, srv.URL, v, doc, u, header, 25); calls < 400 {
		t.Errorf("only %d calls", calls)
	}
}
