package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// newBlog starts the demo app on db the way its main does: framework app
// (its logger discarded unless opts set one), framework and blog
// migrations, seed data, the table permissions, the browser side (auth
// middleware, login pages, admin) and the API. It seeds the permissions
// itself rather than through site.EnsureSuperuser, which TestDemoAdmin
// runs for the first time.
// newBlogApp is a test App (logs discarded) on db, closed at the end of
// the test, with the framework's and the blog's migrations applied.
func newBlogApp(t *testing.T, db *dbtest.DB, opts ...framework.Option) *framework.App {
	t.Helper()
	ctx := context.Background()
	opts = append([]framework.Option{framework.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	blog, err := migrations.For(db.Name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.New(app.Database(), migrate.Options{AppFS: blog})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return app
}

func newBlog(t *testing.T, db *dbtest.DB, opts ...framework.Option) (*framework.App, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	app := newBlogApp(t, db, opts...)
	if err := api.Seed(ctx, app.Database()); err != nil {
		t.Fatal(err)
	}
	if err := api.Seed(ctx, app.Database()); err != nil { // a second run seeds nothing
		t.Fatal(err)
	}
	if _, err := auth.New(app.Database()).SeedPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := site.Mount(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	api.Mount(app.Router(), app.Logger(), a)
	if err := api.MountTables(ctx, app, a); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return app, srv
}

// apiUser is a user of the demo logged in through its login form.
type apiUser struct {
	c     *http.Client // keeps the session cookie; follows no redirect
	token string       // the CSRF token of the site's forms, for X-CSRF-Token
}

// csrf is the header that lets a write without a JSON body through the
// CSRF check.
func (u *apiUser) csrf() map[string]string { return map[string]string{"X-CSRF-Token": u.token} }

// newAPIUser creates the user name holding perms on the demo served at
// base, and logs it in. With no name it is a visitor who fetched the login
// page (so holds its CSRF token and cookies) without logging in.
func newAPIUser(t *testing.T, app *framework.App, base, name string, perms ...string) *apiUser {
	t.Helper()
	b := newBrowser(t, base)
	if name != "" {
		ctx := context.Background()
		d := app.Database()
		u, err := auth.New(d).CreateUser(ctx, auth.CreateUserParams{Username: name, Password: blogPassword})
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range perms {
			p, err := d.Queries().PermissionGetByCodename(ctx, code)
			if err != nil {
				t.Fatalf("permission %s: %v", code, err)
			}
			if err := d.Queries().UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: p.ID, Granted: true}); err != nil {
				t.Fatal(err)
			}
		}
		if resp := b.login(name, blogPassword, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login as %s: %d", name, resp.StatusCode)
		}
	}
	return &apiUser{c: b.c, token: b.token()}
}

const blogPassword = "blog-test-secret-1"

// scenario is one HTTP exchange and what must come back.
type scenario struct {
	name        string
	method      string
	path        string
	body        string
	contentType string   // default application/json when body is set
	as          *apiUser // nil: an anonymous client without cookies
	header      map[string]string
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
	for k, v := range s.header {
		req.Header.Set(k, v)
	}
	c := http.DefaultClient
	if s.as != nil {
		c = s.as.c
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != s.status {
		t.Errorf("%s %s %s: status %d, want %d\n%s", s.name, s.method, s.path, resp.StatusCode, s.status, got)
	}
	// The API's errors are problem details, except validation's field list.
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(s.path, "/api/") && resp.StatusCode >= 400 && resp.StatusCode != http.StatusUnprocessableEntity && ct != framework.ProblemContentType {
		t.Errorf("%s: %d answered as %q, want %s\n%s", s.name, resp.StatusCode, ct, framework.ProblemContentType, got)
	}
	for _, c := range s.contains {
		if !strings.Contains(string(got), c) {
			t.Errorf("%s: body lacks %q\n%s", s.name, c, got)
		}
	}
	// Database error text never reaches a client, and no answer is a 500.
	for _, c := range append(s.absent, "SQLSTATE", "Error 1", "SQL logic error", "constraint failed", "syntax error at or near",
		"invalid byte sequence", "Incorrect string value", "internal error") {
		if strings.Contains(string(got), c) {
			t.Errorf("%s: body reveals %q\n%s", s.name, c, got)
		}
	}
	return string(got)
}

// TestBlogAPI drives the demo's endpoints over HTTP on every dialect,
// including hostile and malformed input: never a 500, never database text,
// nothing half written. Reads are anonymous; writes are a permitted
// user's (TestBlogAPIAuth covers who may write).
func TestBlogAPI(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, srv := newBlog(t, db)
		w := newAPIUser(t, app, srv.URL, "writer", "authors.add", "posts.add", "posts.delete")
		big := `{"author_id":1,"title":"x","slug":"big","body":"` + strings.Repeat("a", 1<<20) + `"}`
		long := func(n int) string { return strings.Repeat("é", n) }
		for _, s := range []scenario{
			{name: "index", method: "GET", path: "/", status: 200, contains: []string{"Quarry blog demo", "GET /api/posts?limit=20", "DELETE /api/posts/{id} (login with permission posts.delete)"}},
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
			{name: "create author", as: w, method: "POST", path: "/api/authors", body: `{"name":" Alan Turing ","email":"alan@example.com","bio":"<script>alert(1)</script>"}`, status: 201,
				contains: []string{`"name":"Alan Turing"`, `\u003cscript\u003e`}, absent: []string{"<script>"}},
			{name: "duplicate email", as: w, method: "POST", path: "/api/authors", body: `{"name":"Other","email":"ada@example.com"}`, status: 422, contains: []string{"an author with this email exists"}},
			{name: "duplicate email, other case", as: w, method: "POST", path: "/api/authors", body: `{"name":"Other","email":"ADA@Example.com"}`, status: 422, contains: []string{"an author with this email exists"}},
			{name: "bio too long", as: w, method: "POST", path: "/api/authors", body: `{"name":"Long","email":"long@example.com","bio":"` + long(100_001) + `"}`, status: 422, contains: []string{`"bio":"bio is longer than 100000 characters"`}},
			{name: "long body accepted", as: w, method: "POST", path: "/api/posts", body: `{"author_id":2,"title":"Long","slug":"long","body":"` + long(100_000) + `"}`, status: 201},
			{name: "long post deleted", as: w, header: w.csrf(), method: "DELETE", path: "/api/posts/4", status: 204},
			{name: "invalid author", as: w, method: "POST", path: "/api/authors", body: `{"name":"","email":"not-an-email"}`, status: 422, contains: []string{`"name":"required"`, `"email":"must be a plain email`}},
			{name: "unknown field", as: w, method: "POST", path: "/api/authors", body: `{"name":"A","email":"a@b.co","admin":true}`, status: 400, contains: []string{`unknown field \"admin\"`}},
			{name: "wrong type", as: w, method: "POST", path: "/api/authors", body: `{"name":5,"email":"a@b.co"}`, status: 400, contains: []string{`field \"name\" must be string`}},
			{name: "malformed JSON", as: w, method: "POST", path: "/api/authors", body: `{"name":`, status: 400, contains: []string{"malformed JSON"}},
			{name: "trailing data", as: w, method: "POST", path: "/api/authors", body: `{"name":"A","email":"a@b.co"} {}`, status: 400, contains: []string{"trailing data"}},
			{name: "form content type", as: w, header: w.csrf(), method: "POST", path: "/api/authors", body: `name=A`, contentType: "application/x-www-form-urlencoded", status: 415},
			{name: "body too large", as: w, method: "POST", path: "/api/posts", body: big, status: 413},
			{name: "create post", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"Hello","slug":"hello-world","body":"Hi","published":true,"tags":["intro","history"]}`, status: 201,
				contains: []string{`"slug":"hello-world"`, `"tags":["history","intro"]`, `"name":"Ada Lovelace"`}},
			{name: "tag counts after create", method: "GET", path: "/api/tags", status: 200, contains: []string{`{"name":"history","post_count":3}`, `{"name":"intro","post_count":1}`}},
			{name: "duplicate slug", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"Again","slug":"hello-world","tags":["orphan"]}`, status: 422, contains: []string{"a post with this slug exists"}},
			{name: "missing author FK", as: w, method: "POST", path: "/api/posts", body: `{"author_id":424242,"title":"Ghost","slug":"ghost","tags":["orphan"]}`, status: 422, contains: []string{"no author with this id"}},
			{name: "rolled back tags", method: "GET", path: "/api/tags", status: 200, absent: []string{"orphan"}},
			{name: "bad slug", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"Bad Slug!"}`, status: 422, contains: []string{`"slug":"lowercase`}},
			{name: "bad tag", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"t","tags":["<b>"]}`, status: 422, contains: []string{`\u003cb\u003e`}},
			{name: "delete post", as: w, header: w.csrf(), method: "DELETE", path: "/api/posts/1", status: 204},
			{name: "delete again", as: w, header: w.csrf(), method: "DELETE", path: "/api/posts/1", status: 404},
			{name: "deleted post gone", method: "GET", path: "/api/posts/analytical-engine", status: 404},
			{name: "delete malformed id", as: w, header: w.csrf(), method: "DELETE", path: "/api/posts/abc", status: 400},
			{name: "wrong method", method: "PUT", path: "/api/authors", status: 405, contains: []string{"method not allowed"}},
			{name: "unknown path", method: "GET", path: "/api/nope", status: 404, contains: []string{`"error":"not found"`}},

			// Text no database may store (PostgreSQL refuses NUL and invalid
			// UTF-8, MySQL invalid UTF-8) is refused before any SQL runs: in
			// the URL by the framework (400), in a JSON string per field (422).
			{name: "NUL in the path", method: "GET", path: "/api/posts/%00", status: 400, contains: []string{"the URL path contains a NUL byte"}},
			{name: "invalid UTF-8 in the path", method: "GET", path: "/api/posts/%ff", status: 400, contains: []string{"the URL path is not valid UTF-8"}},
			{name: "NUL in an id", method: "GET", path: "/api/authors/1%00", status: 400, contains: []string{"NUL byte"}},
			{name: "NUL in a delete", as: w, header: w.csrf(), method: "DELETE", path: "/api/posts/%00", status: 400, contains: []string{"NUL byte"}},
			{name: "NUL in a query value", method: "GET", path: "/api/posts?limit=%00", status: 400, contains: []string{`query parameter \"limit\" contains a NUL byte`}},
			{name: "invalid UTF-8 in a query name", method: "GET", path: "/api/posts?%ff=1", status: 400, contains: []string{"a query parameter name is not valid UTF-8"}},
			{name: "unicode slug", method: "GET", path: "/api/posts/caf%C3%A9", status: 404},
			{name: "NUL in a name", as: w, method: "POST", path: "/api/authors", body: `{"name":"\u0000","email":"nul1@example.com"}`, status: 422, contains: []string{`"name":"name contains a NUL byte"`}},
			{name: "NUL in an email", as: w, method: "POST", path: "/api/authors", body: `{"name":"N","email":"nul2\u0000@example.com"}`, status: 422, contains: []string{`"email":"email contains a NUL byte"`}},
			{name: "NUL in a bio", as: w, method: "POST", path: "/api/authors", body: `{"name":"N","email":"nul3@example.com","bio":"a\u0000b"}`, status: 422, contains: []string{`"bio":"bio contains a NUL byte"`}},
			{name: "NUL in a title", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"a\u0000","slug":"nul-title"}`, status: 422, contains: []string{`"title":"title contains a NUL byte"`}},
			{name: "NUL in a slug", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"nul\u0000slug"}`, status: 422, contains: []string{`"slug":"slug contains a NUL byte"`}},
			{name: "NUL in a body", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"nul-body","body":"\u0000"}`, status: 422, contains: []string{`"body":"body contains a NUL byte"`}},
			{name: "NUL in a field name", as: w, method: "POST", path: "/api/authors", body: `{"na\u0000me":"N","email":"nul4@example.com"}`, status: 400, contains: []string{"unknown field"}},
			{name: "post with a NUL tag", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"Half","slug":"half-written","tags":["fresh-tag","bad\u0000"]}`, status: 422,
				contains: []string{`"tags":"a tag contains a NUL byte"`}},
			{name: "invalid UTF-8 in a JSON string", as: w, method: "POST", path: "/api/authors", body: "{\"name\":\"Ad\xffa\",\"email\":\"bad-utf8@example.com\"}", status: 400, contains: []string{"the request body is not valid UTF-8"}},
			{name: "raw NUL in the body", as: w, method: "POST", path: "/api/authors", body: "{\"name\":\"a\x00\",\"email\":\"raw-nul@example.com\"}", status: 400, contains: []string{"the request body contains a NUL byte"}},
			{name: "lone surrogate escape becomes U+FFFD", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"\ud800 lone","slug":"lone-surrogate"}`, status: 201, contains: []string{`"title":"` + "\uFFFD" + ` lone"`}},
			{name: "name too long", as: w, method: "POST", path: "/api/authors", body: `{"name":"` + long(201) + `","email":"long-name@example.com"}`, status: 422, contains: []string{`"name":"name is longer than 200 characters"`}},
			{name: "email too long", as: w, method: "POST", path: "/api/authors", body: `{"name":"E","email":"` + strings.Repeat("e", 250) + `@example.com"}`, status: 422, contains: []string{`"email":"email is longer than 254 characters"`}},
			{name: "title too long", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"` + long(201) + `","slug":"long-title"}`, status: 422, contains: []string{`"title":"title is longer than 200 characters"`}},
			{name: "slug too long", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"` + strings.Repeat("s", 201) + `"}`, status: 422, contains: []string{`"slug":"slug is longer than 200 characters"`}},
			{name: "body too long", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"long-body","body":"` + long(100_001) + `"}`, status: 422, contains: []string{`"body":"body is longer than 100000 characters"`}},
			{name: "tag too long", as: w, method: "POST", path: "/api/posts", body: `{"author_id":1,"title":"T","slug":"long-tag","tags":["ok","` + strings.Repeat("t", 65) + `"]}`, status: 422, contains: []string{`"tags":"a tag is longer than 64 characters"`}},
			// Nothing of the refused writes was stored.
			{name: "no half-written post", method: "GET", path: "/api/posts/half-written", status: 404},
			{name: "no tag of a refused post", method: "GET", path: "/api/tags", status: 200, absent: []string{"fresh-tag", `"ok"`}},
			{name: "no refused author", method: "GET", path: "/api/authors", status: 200, absent: []string{"nul1@", "nul2", "nul3@", "nul4@", "bad-utf8@", "raw-nul@", "long-name@"}},
			{name: "no refused post", method: "GET", path: "/api/posts?limit=100", status: 200, contains: []string{`"total":4`}, absent: []string{"nul-", "long-"}},
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
		if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Posts) != 4 {
			t.Fatalf("posts JSON: %v (%d posts)", err, len(page.Posts))
		}
		for _, p := range page.Posts {
			if !strings.HasSuffix(p.CreatedAt, "Z") {
				t.Errorf("created_at %q is not UTC", p.CreatedAt)
			}
		}
	})
}

// TestBlogConcurrentWrites sends 200 concurrent creates on every dialect,
// sharing new tags listed in opposite orders: none fails (tags are locked
// in one order, conflicts are retried, SQLite queues writers behind its
// busy timeout) and each row is there once.
func TestBlogConcurrentWrites(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, srv := newBlog(t, db)
		writer := newAPIUser(t, app, srv.URL, "writer", "posts.add")
		const n = 200
		errs := make(chan string, n)
		for i := range n {
			go func() {
				tags := `"load","x","y","z","t%d"`
				if i%2 == 1 {
					tags = `"t%d","z","y","x","load"`
				}
				body := fmt.Sprintf(`{"author_id":%d,"title":"Post %d","slug":"post-%d","tags":[`+tags+`]}`, 1+i%2, i, i, i%5)
				resp, err := writer.c.Post(srv.URL+"/api/posts", "application/json", strings.NewReader(body))
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

// TestBlogClientGone: a request whose client went away (its context
// cancelled before a read, or while a write's body was read) is no server
// error on any dialect: recorded as 499, logged at DEBUG, no ERROR line,
// no 500, and the write stored nothing.
func TestBlogClientGone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		logs := &syncBuffer{}
		app, srv := newBlog(t, db, framework.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		writer := newAPIUser(t, app, srv.URL, "writer", "authors.add", "posts.add")
		base, _ := url.Parse(srv.URL)
		cases := []struct{ method, path, body string }{
			{"GET", "/api/authors", ""},
			{"GET", "/api/authors/1", ""},
			{"GET", "/api/posts", ""},
			{"GET", "/api/posts/first-bug", ""},
			{"GET", "/api/tags", ""},
			{"POST", "/api/authors", `{"name":"Gone","email":"gone@example.com"}`},
			{"POST", "/api/posts", `{"author_id":1,"title":"Gone","slug":"gone","tags":["gone-tag"]}`},
		}
		for _, c := range cases {
			ctx, cancel := context.WithCancel(context.Background())
			var body io.Reader
			if c.body == "" {
				cancel()
			} else { // the client hangs up once the server reads its body, after the permission check
				body = &cancelOnRead{r: strings.NewReader(c.body), cancel: cancel}
			}
			req := httptest.NewRequest(c.method, c.path, body).WithContext(ctx)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
				for _, ck := range writer.c.Jar.Cookies(base) {
					req.AddCookie(ck)
				}
			}
			rec := httptest.NewRecorder()
			app.Handler().ServeHTTP(rec, req)
			cancel()
			if rec.Code != framework.StatusClientClosedRequest {
				t.Errorf("%s %s with the client gone: %d, want %d\n%s", c.method, c.path, rec.Code, framework.StatusClientClosedRequest, rec.Body)
			}
		}
		out := logs.String()
		if strings.Contains(out, "level=ERROR") || strings.Count(out, "client gone") != len(cases) {
			t.Errorf("want %d DEBUG 'client gone' lines and no ERROR:\n%s", len(cases), out)
		}
		scenario{name: "no author", method: "GET", path: "/api/authors", status: 200, absent: []string{"gone@"}}.run(t, srv.URL)
		scenario{name: "no post", method: "GET", path: "/api/posts/gone", status: 404}.run(t, srv.URL)
		scenario{name: "no tag", method: "GET", path: "/api/tags", status: 200, absent: []string{"gone-tag"}}.run(t, srv.URL)
	})
}

// cancelOnRead is a request body whose client hangs up (cancel) as soon as
// the server reads it.
type cancelOnRead struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelOnRead) Read(p []byte) (int, error) {
	c.cancel()
	return c.r.Read(p)
}
