package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// tenantSite is the demo served to two tenants, acme and globex, each in
// a database of its own (created by the registry on the dialect's
// server, or as SQLite files), behind the tenancy middleware: subdomains
// of example.test, custom domains, and /t/<slug>/ on the apex.
type tenantSite struct {
	t       *testing.T
	app     *framework.App
	reg     *tenancy.Registry
	pools   *tenancy.Pools
	srv     *httptest.Server
	tenants map[string]*framework.Database // by slug, for the assertions
	auth    *authhttp.Auth                 // the site's identity layer, for handlers tests mount
}

const tenantPassword = "tenant-test-secret-1"

func newTenantSite(t *testing.T, db *dbtest.DB) *tenantSite {
	t.Helper()
	return newTenantSiteMode(t, db, tenancy.ModeDatabase)
}

// newTenantSiteMode is newTenantSite with tenants of mode (ModeSchema:
// schemas of db, beside the main database's own tables in public;
// ModeRLS: the framework's tables in schemas of db, the blog's tables
// those of public, which are not tenant-scoped, so the tenants get no
// authors).
func newTenantSiteMode(t *testing.T, db *dbtest.DB, mode tenancy.Mode) *tenantSite {
	t.Helper()
	ctx := context.Background()
	// The main database has the app's schema too (the admin reads it
	// there at start-up) and rows of its own, the operator side's.
	app := newBlogApp(t, db)
	insertAuthor(t, app.Database(), "Main Writer", "main@example.test")

	var b [4]byte
	_, _ = rand.Read(b[:])
	opts := tenancy.RegistryOptions{SQLiteDir: t.TempDir(),
		DatabasePrefix: "qi" + hex.EncodeToString(b[:]) + "_", AppMigrations: migrations.For}
	if mode == tenancy.ModeRLS {
		// A role of its own, dropped last: after the tenants and their pools.
		opts.RLSRole = "qi" + hex.EncodeToString(b[:]) + "_tenant"
		t.Cleanup(func() {
			for _, stmt := range []string{"DROP OWNED BY " + opts.RLSRole, "DROP ROLE IF EXISTS " + opts.RLSRole} {
				if _, err := app.DB().ExecContext(context.Background(), stmt); err != nil {
					t.Errorf("cleanup: %s: %v", stmt, err)
				}
			}
		})
	}
	reg := tenancy.NewRegistry(app.Database(), opts)
	if err := reg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the pools are closed (cleanups run last first)
		ts, err := reg.List(context.Background())
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		for _, tn := range ts {
			if err := reg.Delete(context.Background(), tn.Slug, true); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	s := &tenantSite{t: t, app: app, reg: reg, tenants: map[string]*framework.Database{}}
	for _, slug := range []string{"acme", "globex"} {
		tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug, Name: strings.ToUpper(slug), Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		d, err := reg.Open(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.DB.Close() })
		s.tenants[slug] = d
		// The same username in both tenants, and rows with the same
		// primary keys.
		svc := auth.New(d)
		if _, err := svc.SeedPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "alice", Password: tenantPassword, Staff: true, Superuser: true}); err != nil {
			t.Fatal(err)
		}
		if mode == tenancy.ModeRLS {
			continue
		}
		name := strings.ToUpper(slug[:1]) + slug[1:] + " Writer"
		if id := insertAuthor(t, d, name, slug+"@example.test"); id != 1 {
			t.Fatalf("%s's author has id %d, want 1 (overlapping keys)", slug, id)
		}
	}
	if err := reg.AddDomain(ctx, "globex", "blog.globex.test"); err != nil {
		t.Fatal(err)
	}
	pools, err := tenancy.NewPools(tenancy.PoolOptions{Open: reg.Open, MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pools.Close(); err != nil {
			t.Error(err)
		}
	})
	s.pools = pools
	cache := tenancy.NewCache(reg, tenancy.CacheOptions{Generation: reg.Generation})
	mw, err := tenancy.Middleware(tenancy.Options{Lookup: cache, Pools: pools,
		Resolvers: tenancy.DefaultResolvers("example.test"), ApexHosts: []string{"example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	app.WrapRouter(mw)
	a, err := site.Mount(ctx, app, func(a *authhttp.Auth, o *admin.Options) {
		o.Banner = tenancy.ImpersonationBanner(a.Sessions()) // on an operator's impersonation
	})
	if err != nil {
		t.Fatal(err)
	}
	api.Mount(app.Router(), app.Logger(), a)
	s.auth = a
	s.srv = httptest.NewServer(app.Handler())
	t.Cleanup(s.srv.Close)
	return s
}

func insertAuthor(t *testing.T, d *framework.Database, name, email string) int64 {
	t.Helper()
	ph := d.Dialect.Placeholder
	if _, err := d.DB.Exec("INSERT INTO authors (name, email, bio) VALUES ("+ph(1)+", "+ph(2)+", "+ph(3)+")", name, email, "bio"); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := d.DB.QueryRow("SELECT id FROM authors WHERE email = "+ph(1), email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// browserAt is a browser for host (any name: every connection goes to the
// test server, and cookies are kept per host as a browser keeps them).
func (s *tenantSite) browserAt(t *testing.T, host string) *browser {
	jar, _ := cookiejar.New(nil)
	addr := s.srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: "http://" + host, c: &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (s *tenantSite) count(slug, query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.tenants[slug].DB.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

var versionRe = regexp.MustCompile(`name="_version" value="([^"]*)"`)

// TestTenantIsolation serves two tenants with the same usernames and
// overlapping primary keys from one app, on every dialect, and checks that
// nothing of one reaches the other: sessions, the admin's pages and
// writes, the API, login throttling; and that unknown hosts, suspended
// tenants, path traversal and an unconfigured tenant header get 404 or
// the apex, never another tenant.
func TestTenantIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		tenantIsolation(t, newTenantSite(t, db))
	})
}

// TestTenantIsolationSchema is TestTenantIsolation with acme and globex
// in schemas of the main PostgreSQL database, whose public schema holds
// the same tables with rows of its own: nothing of the main database nor
// of the other tenant may reach a tenant.
func TestTenantIsolationSchema(t *testing.T) {
	tenantIsolation(t, newTenantSiteMode(t, dbtest.New(t, dialects.Postgres), tenancy.ModeSchema))
}

// tenantIsolation is TestTenantIsolation on s.
func tenantIsolation(t *testing.T, s *tenantSite) {
	ctx := context.Background()

	t.Run("API through the request's handle", func(t *testing.T) {
		for _, tc := range []struct{ host, path, want, not string }{
			{"acme.example.test", "/api/authors", "Acme Writer", "Globex Writer"},
			{"globex.example.test", "/api/authors", "Globex Writer", "Acme Writer"},
			{"ACME.Example.Test.:80", "/api/authors/1", "Acme Writer", "Globex Writer"},
			{"blog.globex.test", "/api/authors/1", "Globex Writer", "Acme Writer"},
			{"example.test", "/t/acme/api/authors", "Acme Writer", "Globex Writer"},
			{"example.test", "/t/globex/api/authors/1", "Globex Writer", "Acme Writer"},
			{"example.test", "/api/authors", "Main Writer", "Writer\",\"email\":\"acme"}, // the apex: main database
		} {
			resp, body := s.browserAt(t, tc.host).do("GET", tc.path, nil, map[string]string{"Accept": "application/json"})
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) ||
				(tc.host != "example.test" || strings.HasPrefix(tc.path, "/t/")) && strings.Contains(body, "Main Writer") {
				t.Errorf("%s%s: %d\n%s", tc.host, tc.path, resp.StatusCode, body)
			}
		}
	})

	t.Run("a session of one tenant is unknown to the other", func(t *testing.T) {
		a := s.browserAt(t, "acme.example.test")
		expect(t, "login on acme", a.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
		if resp, _ := a.do("GET", "/admin/", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("acme's admin after login: %d", resp.StatusCode)
		}
		token := a.sessionCookie()
		if token == "" {
			t.Fatal("no session cookie")
		}
		if n := s.count("acme", "SELECT COUNT(*) FROM quarry_sessions WHERE user_id IS NOT NULL"); n != 1 {
			t.Fatalf("acme's database holds %d logged-in sessions, want 1", n)
		}
		ph := s.tenants["globex"].Dialect.Placeholder
		if n := s.count("globex", "SELECT COUNT(*) FROM quarry_sessions WHERE token = "+ph(1), token); n != 0 {
			t.Fatal("acme's session token is in globex's database")
		}
		// The browser keeps the cookie to acme's host; replay it, and
		// the CSRF cookie, on globex by subdomain, custom domain and
		// path prefix, and on the apex.
		u, _ := url.Parse(a.base)
		cookies := a.c.Jar.Cookies(u)
		for _, target := range []struct{ host, path string }{
			{"globex.example.test", "/admin/"},
			{"blog.globex.test", "/admin/"},
			{"example.test", "/t/globex/admin/"},
			{"example.test", "/admin/"},
		} {
			req, _ := http.NewRequest("GET", "http://"+target.host+target.path, nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			resp, err := s.browserAt(t, target.host).c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/login") {
				t.Errorf("acme's cookie on %s%s: %d %q, want a redirect to the login page", target.host, target.path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		// A write with acme's cookies and token on globex is refused
		// too, and changes nothing there.
		tok := a.token()
		req, _ := http.NewRequest("POST", "http://globex.example.test/api/authors", strings.NewReader(`{"name":"Intruder","email":"x@example.test","bio":"b"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", tok)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := s.browserAt(t, "globex.example.test").c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
			t.Errorf("a write to globex with acme's session: %d", resp.StatusCode)
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM authors WHERE name = 'Intruder'"); n != 0 {
			t.Error("acme's session wrote to globex")
		}
	})

	t.Run("admin", func(t *testing.T) {
		a := s.browserAt(t, "acme.example.test")
		expect(t, "login on acme", a.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
		ab := &adminBrowser{browser: a}
		list := ab.get("/admin/authors/", http.StatusOK)
		wantContains(t, "acme's author list", list, "Acme Writer")
		wantAbsent(t, "acme's author list", list, "Globex Writer", "Main Writer")
		form := ab.get("/admin/authors/1/change/", http.StatusOK)
		wantContains(t, "acme's author 1", form, "Acme Writer")
		wantAbsent(t, "acme's author 1", form, "Globex Writer")
		users := ab.get("/admin/quarry_users/", http.StatusOK)
		wantContains(t, "acme's users", users, "alice")
		m := versionRe.FindStringSubmatch(form)
		v := url.Values{"name": {"Acme Writer (edited)"}, "email": {"acme@example.test"}, "bio": {"bio"}, "_save": {"1"}}
		if m != nil {
			v.Set("_version", m[1])
		}
		ab.post("/admin/authors/1/change/", v, http.StatusSeeOther)
		if n := s.count("acme", "SELECT COUNT(*) FROM authors WHERE id = 1 AND name = 'Acme Writer (edited)'"); n != 1 {
			t.Error("the change did not reach acme's row")
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM authors WHERE id = 1 AND name = 'Globex Writer'"); n != 1 {
			t.Error("globex's row with the same key changed")
		}
		if n := s.count("acme", "SELECT COUNT(*) FROM quarry_audit_log"); n == 0 {
			t.Error("the change was not audited in acme's database")
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM quarry_audit_log"); n != 0 {
			t.Errorf("globex's audit log has %d entries of acme's change", n)
		}
		history := ab.get("/admin/authors/1/history/", http.StatusOK)
		wantContains(t, "acme's history", history, "Acme Writer (edited)")
		g := s.browserAt(t, "globex.example.test")
		expect(t, "login on globex", g.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
		gb := &adminBrowser{browser: g}
		glist := gb.get("/admin/authors/", http.StatusOK)
		wantContains(t, "globex's author list", glist, "Globex Writer")
		wantAbsent(t, "globex's author list", glist, "Acme Writer")
		wantAbsent(t, "globex's history", gb.get("/admin/authors/1/history/", http.StatusOK), "Acme Writer")
	})

	t.Run("login throttling counts per tenant", func(t *testing.T) {
		a := s.browserAt(t, "acme.example.test")
		var last *http.Response
		for range 6 {
			last = a.login("alice", "wrong-password-1", "/")
		}
		if last.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sixth failure on acme: %d, want 429", last.StatusCode)
		}
		if n := s.count("acme", "SELECT COUNT(*) FROM quarry_login_failures WHERE failures > 0"); n == 0 {
			t.Error("acme's database counted no failures")
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM quarry_login_failures WHERE failures > 0"); n != 0 {
			t.Errorf("globex's database counted %d of acme's failures", n)
		}
		g := s.browserAt(t, "globex.example.test")
		expect(t, "alice on globex from the same address", g.login("alice", tenantPassword, "/"), http.StatusSeeOther, "/")
	})

	t.Run("unknown, malformed and traversing requests get 404", func(t *testing.T) {
		for _, tc := range []struct{ host, path string }{
			{"initech.example.test", "/api/authors"},
			{"a.acme.example.test", "/api/authors"},
			{"elsewhere.test", "/api/authors"},
			{"example.test", "/t/initech/api/authors"},
			{"example.test", "/t//api/authors"},
			{"example.test", "/t/acme/../globex/api/authors"},
			{"example.test", "/t/../api/authors"},
			{"example.test", "/t/acme/..%2Fglobex/api/authors"},
			{"example.test", "/t/acme%2F..%2Fglobex/api/authors"},
			{"example.test", "/t/www/api/authors"},
		} {
			for _, accept := range []string{"application/json", "text/html"} {
				resp, body := s.browserAt(t, tc.host).do("GET", tc.path, nil, map[string]string{"Accept": accept})
				if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Writer") {
					t.Errorf("%s%s (%s): %d\n%s", tc.host, tc.path, accept, resp.StatusCode, body)
				}
				ct := resp.Header.Get("Content-Type")
				if accept == "application/json" && ct != framework.ProblemContentType || accept == "text/html" && !strings.HasPrefix(ct, "text/html") {
					t.Errorf("%s%s (%s): answered as %q", tc.host, tc.path, accept, ct)
				}
			}
		}
		// The host is escaped in the HTML page.
		req, _ := http.NewRequest("GET", "http://x.example.test/", nil)
		req.Host = "<script>.example.test"
		resp, err := s.browserAt(t, "x.example.test").c.Do(req)
		if err == nil {
			var sb strings.Builder
			buf := make([]byte, 4096)
			n, _ := resp.Body.Read(buf)
			sb.Write(buf[:n])
			resp.Body.Close()
			if strings.Contains(sb.String(), "<script>") {
				t.Errorf("unescaped host in the 404 page:\n%s", sb.String())
			}
		}
	})

	t.Run("the tenant header is ignored by default", func(t *testing.T) {
		for _, tc := range []struct{ host, want, not string }{
			{"example.test", "Main Writer", "Acme Writer"},
			{"globex.example.test", "Globex Writer", "Acme Writer"},
		} {
			resp, body := s.browserAt(t, tc.host).do("GET", "/api/authors", nil, map[string]string{"X-Tenant": "acme", "Accept": "application/json"})
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) {
				t.Errorf("%s with X-Tenant: acme: %d\n%s", tc.host, resp.StatusCode, body)
			}
		}
	})

	t.Run("a suspended tenant gets 404 once the registry's generation moves", func(t *testing.T) {
		b := s.browserAt(t, "globex.example.test")
		if resp, _ := b.do("GET", "/api/authors", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("globex before: %d", resp.StatusCode)
		}
		if err := s.reg.SetStatus(ctx, "globex", tenancy.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "globex answered 404", func() bool {
			resp, _ := b.do("GET", "/api/authors", nil, nil)
			return resp.StatusCode == http.StatusNotFound
		})
		for _, path := range []string{"/t/globex/api/authors", "/t/globex/admin/"} {
			if resp, body := s.browserAt(t, "example.test").do("GET", path, nil, nil); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Writer") {
				t.Errorf("suspended globex at %s: %d", path, resp.StatusCode)
			}
		}
		if resp, body := s.browserAt(t, "blog.globex.test").do("GET", "/api/authors", nil, nil); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Writer") {
			t.Errorf("suspended globex by its domain: %d", resp.StatusCode)
		}
		if resp, _ := s.browserAt(t, "acme.example.test").do("GET", "/api/authors", nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("acme while globex is suspended: %d", resp.StatusCode)
		}
		if err := s.reg.SetStatus(ctx, "globex", tenancy.StatusActive); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "globex back", func() bool {
			resp, _ := b.do("GET", "/api/authors", nil, nil)
			return resp.StatusCode == http.StatusOK
		})
	})
	if n := s.pools.Len(); n == 0 || n > 4 {
		t.Errorf("%d tenant pools open, want 1 to 4", n)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		<-tick.C
	}
}

// TestTenantIsolationRLS serves two ModeRLS tenants of one PostgreSQL
// database: each has the framework's tables of its own (in its schema),
// so logins, sessions and the admin's users are each tenant's, with the
// same username in both; the main database's users are out of reach.
func TestTenantIsolationRLS(t *testing.T) {
	s := newTenantSiteMode(t, dbtest.New(t, dialects.Postgres), tenancy.ModeRLS)
	ctx := context.Background()
	if _, err := auth.New(s.app.Database()).CreateUser(ctx, auth.CreateUserParams{Username: "operator", Password: tenantPassword, Staff: true, Superuser: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(s.tenants["acme"]).CreateUser(ctx, auth.CreateUserParams{Username: "acme-only", Password: tenantPassword}); err != nil {
		t.Fatal(err)
	}

	a := s.browserAt(t, "acme.example.test")
	expect(t, "login on acme", a.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
	resp, body := a.do("GET", "/admin/quarry_users/", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "alice") || !strings.Contains(body, "acme-only") || strings.Contains(body, "operator") {
		t.Errorf("acme's users page: %d\n%s", resp.StatusCode, body)
	}
	g := s.browserAt(t, "globex.example.test")
	expect(t, "login on globex", g.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
	resp, body = g.do("GET", "/admin/quarry_users/", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "alice") || strings.Contains(body, "acme-only") || strings.Contains(body, "operator") {
		t.Errorf("globex's users page: %d\n%s", resp.StatusCode, body)
	}
	// acme's user is unknown to globex; the main database's operator to both.
	for _, c := range []struct{ host, user string }{{"globex.example.test", "acme-only"}, {"acme.example.test", "operator"}, {"example.test/t/globex", "operator"}} {
		host, base, _ := strings.Cut(c.host, "/")
		b := s.browserAt(t, host)
		if base != "" {
			base = "/" + base
		}
		if resp := loginAt(t, b, base, c.user, tenantPassword, base+"/admin/"); resp.StatusCode == http.StatusSeeOther {
			t.Errorf("%s logged into %s", c.user, c.host)
		}
	}
	// acme's session cookie replayed on globex is unknown there.
	u, _ := url.Parse(a.base)
	req, _ := http.NewRequest("GET", "http://globex.example.test/admin/", nil)
	for _, c := range a.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	resp, err := s.browserAt(t, "globex.example.test").c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/login") {
		t.Errorf("acme's session on globex: %d %q, want a redirect to the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The operator logs into the apex, whose users are the main database's.
	o := s.browserAt(t, "example.test")
	expect(t, "operator on the apex", o.login("operator", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
	if resp, body := o.do("GET", "/admin/quarry_users/", nil, nil); resp.StatusCode != http.StatusOK || strings.Contains(body, "alice") {
		t.Errorf("the apex's users page: %d\n%s", resp.StatusCode, body)
	}
}
