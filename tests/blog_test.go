package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// newBlog starts the demo app on db the way its main does: framework app,
// framework and blog migrations, seed data, API mounted beside the
// framework router.
func newBlog(t *testing.T, db *dbtest.DB) (*framework.App, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	blog, err := migrations.For(db.Name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.New(app.DB(), app.URL(), migrate.Options{AppFS: blog})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := api.Seed(ctx, app.Database()); err != nil {
		t.Fatal(err)
	}
	if err := api.Seed(ctx, app.Database()); err != nil { // a second run seeds nothing
		t.Fatal(err)
	}
	api.Mount(app.Router(), app.Logger())
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return app, srv
}

// scenario is one HTTP exchange and what must come back.
type scenario struct {
	name        string
	method      string
	path        string
	body        string
	contentType string // default application/json when body is set
	status      int
	contains    []string
	absent      []string
}

func (s scenario) run(t *testing.T, base string) string {
	t.Helper()
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequest(s.method, base+s.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if s.body != "" {
		ct := s.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != s.status {
		t.Errorf("%s %s %s: status %d, want %d\n%s", s.name, s.method, s.path, resp.StatusCode, s.status, got)
	}
	for _, c := range s.contains {
		if !strings.Contains(string(got), c) {
			t.Errorf("%s: body lacks %q\n%s", s.name, c, got)
		}
	}
	// Database error text never reaches a client.
	for _, c := range append(s.absent, "SQLSTATE", "Error 1", "SQL logic error", "constraint failed", "syntax error at or near") {
		if strings.Contains(string(got), c) {
			t.Errorf("%s: body reveals %q\n%s", s.name, c, got)
		}
	}
	return string(got)
}

// TestBlogAPI drives the demo's endpoints over HTTP on every dialect,
// including hostile and malformed input.
func TestBlogAPI(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		_, srv := newBlog(t, db)
		big := `{"author_id":1,"title":"x","slug":"big","body":"` + strings.Repeat("a", 1<<20) + `"}`
		for _, s := range []scenario{
			{name: "index", method: "GET", path: "/", status: 200, contains: []string{"Quarry blog demo", "/api/posts"}},
			{name: "seeded authors", method: "GET", path: "/api/authors", status: 200, contains: []string{"Ada Lovelace", "Grace Hopper"}},
			{name: "one author", method: "GET", path: "/api/authors/1", status: 200, contains: []string{`"email":"ada@example.com"`}},
			{name: "missing author", method: "GET", path: "/api/authors/999", status: 404, contains: []string{"no such author"}},
			{name: "malformed id", method: "GET", path: "/api/authors/abc", status: 400, contains: []string{"positive integer"}},
			{name: "negative id", method: "GET", path: "/api/authors/-1", status: 400},
			{name: "huge id", method: "GET", path: "/api/authors/99999999999999999999", status: 400},
			{name: "posts page", method: "GET", path: "/api/posts?limit=2", status: 200, contains: []string{`"total":3`, `"limit":2`, `"compilers-draft"`}, absent: []string{`"analytical-engine"`}},
			{name: "posts second page", method: "GET", path: "/api/posts?limit=2&offset=2", status: 200, contains: []string{`"analytical-engine"`}},
			{name: "limit too big", method: "GET", path: "/api/posts?limit=1000", status: 400, contains: []string{"limit must be an integer from 1 to 100"}},
			{name: "limit not a number", method: "GET", path: "/api/posts?limit=1;DROP%20TABLE%20posts", status: 400},
			{name: "offset negative", method: "GET", path: "/api/posts?offset=-5", status: 400},
			{name: "post with tags", method: "GET", path: "/api/posts/first-bug", status: 200, contains: []string{`"tags":["debugging","history"]`, `"name":"Grace Hopper"`, `"published":true`}},
			{name: "unpublished post", method: "GET", path: "/api/posts/compilers-draft", status: 200, contains: []string{`"published_at":null`}},
			{name: "SQL in slug", method: "GET", path: "/api/posts/x'%20OR%20'1'='1", status: 404},
			{name: "tags with counts", method: "GET", path: "/api/tags", status: 200, contains: []string{`{"name":"history","post_count":2}`}},
			{name: "create author", method: "POST", path: "/api/authors", body: `{"name":" Alan Turing ","email":"alan@example.com","bio":"<script>alert(1)</script>"}`, status: 201,
				contains: []string{`"name":"Alan Turing"`, `\u003cscript\u003e`}, absent: []string{"<script>"}},
			{name: "duplicate email", method: "POST", path: "/api/authors", body: `{"name":"Other","email":"ada@example.com"}`, status: 422, contains: []string{"an author with this email exists"}},
			{name: "duplicate email, other case", method: "POST", path: "/api/authors", body: `{"name":"Other","email":"ADA@Example.com"}`, status: 422, contains: []string{"an author with this email exists"}},
			{name: "bio too long", method: "POST", path: "/api/authors", body: `{"name":"Long","email":"long@example.com","bio":"` + strings.Repeat("é", 100_001) + `"}`, status: 422, contains: []string{`"bio":"at most 100000 characters"`}},
			{name: "long body accepted", method: "POST", path: "/api/posts", body: `{"author_id":2,"title":"Long","slug":"long","body":"` + strings.Repeat("é", 100_000) + `"}`, status: 201},
			{name: "long post deleted", method: "DELETE", path: "/api/posts/4", status: 204},
			{name: "invalid author", method: "POST", path: "/api/authors", body: `{"name":"","email":"not-an-email"}`, status: 422, contains: []string{`"name":"required"`, `"email":"must be a plain email`}},
			{name: "unknown field", method: "POST", path: "/api/authors", body: `{"name":"A","email":"a@b.co","admin":true}`, status: 400, contains: []string{`unknown field \"admin\"`}},
			{name: "wrong type", method: "POST", path: "/api/authors", body: `{"name":5,"email":"a@b.co"}`, status: 400, contains: []string{`field \"name\" must be string`}},
			{name: "malformed JSON", method: "POST", path: "/api/authors", body: `{"name":`, status: 400, contains: []string{"malformed JSON"}},
			{name: "trailing data", method: "POST", path: "/api/authors", body: `{"name":"A","email":"a@b.co"} {}`, status: 400, contains: []string{"trailing data"}},
			{name: "form content type", method: "POST", path: "/api/authors", body: `name=A`, contentType: "application/x-www-form-urlencoded", status: 415},
			{name: "body too large", method: "POST", path: "/api/posts", body: big, status: 413},
			{name: "create post", method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"Hello","slug":"hello-world","body":"Hi","published":true,"tags":["intro","history"]}`, status: 201,
				contains: []string{`"slug":"hello-world"`, `"tags":["history","intro"]`, `"name":"Ada Lovelace"`}},
			{name: "tag counts after create", method: "GET", path: "/api/tags", status: 200, contains: []string{`{"name":"history","post_count":3}`, `{"name":"intro","post_count":1}`}},
			{name: "duplicate slug", method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"Again","slug":"hello-world","tags":["orphan"]}`, status: 422, contains: []string{"a post with this slug exists"}},
			{name: "missing author FK", method: "POST", path: "/api/posts", body: `{"author_id":424242,"title":"Ghost","slug":"ghost","tags":["orphan"]}`, status: 422, contains: []string{"no author with this id"}},
			{name: "rolled back tags", method: "GET", path: "/api/tags", status: 200, absent: []string{"orphan"}},
			{name: "bad slug", method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"Bad Slug!"}`, status: 422, contains: []string{`"slug":"lowercase`}},
			{name: "bad tag", method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"t","tags":["<b>"]}`, status: 422, contains: []string{`\u003cb\u003e`}},
			{name: "delete post", method: "DELETE", path: "/api/posts/1", status: 204},
			{name: "delete again", method: "DELETE", path: "/api/posts/1", status: 404},
			{name: "deleted post gone", method: "GET", path: "/api/posts/analytical-engine", status: 404},
			{name: "delete malformed id", method: "DELETE", path: "/api/posts/abc", status: 400},
			{name: "wrong method", method: "PUT", path: "/api/authors", status: 405, contains: []string{"method not allowed"}},
			{name: "unknown path", method: "GET", path: "/api/nope", status: 404, contains: []string{`"error":"not found"`}},
		} {
			s.run(t, srv.URL)
		}

		// The JSON is well formed and times are UTC RFC 3339.
		var page struct {
			Posts []struct {
				CreatedAt string `json:"created_at"`
			} `json:"posts"`
		}
		body := scenario{name: "json", method: "GET", path: "/api/posts", status: 200}.run(t, srv.URL)
		if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Posts) != 3 {
			t.Fatalf("posts JSON: %v (%d posts)", err, len(page.Posts))
		}
		for _, p := range page.Posts {
			if !strings.HasSuffix(p.CreatedAt, "Z") {
				t.Errorf("created_at %q is not UTC", p.CreatedAt)
			}
		}
	})
}

// TestBlogConcurrentWrites sends 40 concurrent creates on every dialect,
// sharing new tags listed in opposite orders: none fails (tags are locked
// in one order, conflicts are retried, SQLite queues writers behind its
// busy timeout) and each row is there once.
func TestBlogConcurrentWrites(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		_, srv := newBlog(t, db)
		const n = 200
		errs := make(chan string, n)
		for i := range n {
			go func() {
				tags := `"load","x","y","z","t%d"`
				if i%2 == 1 {
					tags = `"t%d","z","y","x","load"`
				}
				body := fmt.Sprintf(`{"author_id":%d,"title":"Post %d","slug":"post-%d","tags":[`+tags+`]}`, 1+i%2, i, i, i%5)
				resp, err := http.Post(srv.URL+"/api/posts", "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Sprintf("post %d: %d %s", i, resp.StatusCode, b)
					return
				}
				errs <- ""
			}()
		}
		for range n {
			if e := <-errs; e != "" {
				t.Error(e)
			}
		}
		body := scenario{name: "count", method: "GET", path: "/api/posts?limit=1", status: 200}.run(t, srv.URL)
		if !strings.Contains(body, fmt.Sprintf(`"total":%d`, n+3)) {
			t.Errorf("after %d concurrent creates: %s", n, body)
		}
		scenario{name: "tags", method: "GET", path: "/api/tags", status: 200, contains: []string{fmt.Sprintf(`{"name":"load","post_count":%d}`, n)}}.run(t, srv.URL)
	})
}
