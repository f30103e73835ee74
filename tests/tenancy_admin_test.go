package tests

import (
	"context"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// browserOn is a browser for host whose connections all go to srv.
func browserOn(t *testing.T, srv *httptest.Server, host string) *browser {
	jar, _ := cookiejar.New(nil)
	addr := srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: "http://" + host, c: &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// loginAt logs b in through the login page under base ("/t/acme" or ""),
// asking to go to next, and returns the answer to the login.
func loginAt(t *testing.T, b *browser, base, user, pw, next string) *http.Response {
	t.Helper()
	resp, body := b.do("GET", base+"/login?next="+url.QueryEscape(next), nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page under %q: %d", base, resp.StatusCode)
	}
	if !strings.Contains(body, `action="`+base+`/login"`) {
		t.Errorf("the login form under %q does not post under it:\n%s", base, body)
	}
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the login page under %q", base)
	}
	resp, _ = b.do("POST", base+"/login", url.Values{"username": {user}, "password": {pw}, "next": {next}, "csrf_token": {m[1]}}, nil)
	return resp
}

var linkRe = regexp.MustCompile(`(?:href|action|src|data-lookup)="([^"]*)"`)

// TestTenantAdmin serves the admin inside tenants on every dialect: the
// registry's tables are nowhere in it, every link, form action and
// redirect under /t/acme/ keeps the prefix, the login under the prefix
// stays inside it, each tenant under /t/ keeps its own session cookie,
// and the tenant's name titles its admin, escaped.
func TestTenantAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newTenantSite(t, db)
		ctx := context.Background()

		t.Run("registry tables are not in any admin", func(t *testing.T) {
			// The apex admin, on the main database that holds the registry.
			if _, err := auth.New(s.app.Database()).CreateUser(ctx, auth.CreateUserParams{Username: "operator", Password: tenantPassword, Staff: true, Superuser: true}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ host, base, user string }{
				{"example.test", "", "operator"},
				{"example.test", "/t/acme", "alice"},
				{"globex.example.test", "", "alice"},
			} {
				b := s.browserAt(t, c.host)
				if resp := loginAt(t, b, c.base, c.user, tenantPassword, c.base+"/admin/"); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s%s: login %d", c.host, c.base, resp.StatusCode)
				}
				resp, body := b.do("GET", c.base+"/admin/", nil, nil)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "authors") {
					t.Fatalf("%s%s/admin/: %d", c.host, c.base, resp.StatusCode)
				}
				if strings.Contains(body, "quarry_tenan") || strings.Contains(strings.ToLower(body), "tenant domains") || strings.Contains(strings.ToLower(body), "tenancy") {
					t.Errorf("%s%s/admin/ lists a registry table:\n%s", c.host, c.base, body)
				}
				for _, tbl := range tenancy.RegistryTables() {
					for _, p := range []string{"/", "/add/", "/1/change/", "/export.csv"} {
						if resp, _ := b.do("GET", c.base+"/admin/"+tbl+p, nil, nil); resp.StatusCode != http.StatusNotFound {
							t.Errorf("%s%s/admin/%s%s: %d, want 404", c.host, c.base, tbl, p, resp.StatusCode)
						}
					}
				}
			}
		})

		t.Run("links and redirects under /t/acme/ keep the prefix", func(t *testing.T) {
			const base = "/t/acme"
			b := s.browserAt(t, "example.test")
			resp, _ := b.do("GET", base+"/admin/", nil, nil)
			expect(t, "anonymous admin", resp, http.StatusSeeOther, base+"/login?next="+url.QueryEscape(base+"/admin/"))
			resp, _ = b.do("GET", base+"/admin", nil, nil)
			expect(t, "admin without slash", resp, http.StatusTemporaryRedirect, base+"/admin/") // the ServeMux's redirect, under the prefix
			resp = loginAt(t, b, base, "alice", tenantPassword, base+"/admin/authors/")
			expect(t, "login", resp, http.StatusSeeOther, base+"/admin/authors/")
			for _, c := range resp.Cookies() {
				if (c.Name == "quarry_session" || c.Name == authhttp.CSRFCookie) && c.Path != base {
					t.Errorf("cookie %s has path %q, want %q", c.Name, c.Path, base)
				}
			}

			// Crawl every admin page reachable from the index.
			ok := func(link string) bool {
				return link == "" || strings.HasPrefix(link, "#") || strings.HasPrefix(link, "?") ||
					strings.HasPrefix(link, base+"/") || strings.HasPrefix(link, "https://") || strings.HasPrefix(link, "mailto:")
			}
			seen := map[string]bool{base + "/admin/": true}
			queue := []string{base + "/admin/"}
			pages := 0
			for len(queue) > 0 && pages < 120 {
				p := queue[0]
				queue = queue[1:]
				pages++
				resp, body := b.do("GET", p, nil, nil)
				if loc := resp.Header.Get("Location"); loc != "" && !ok(loc) {
					t.Errorf("GET %s redirects to %q, outside %s", p, loc, base)
				}
				if resp.StatusCode >= 400 {
					t.Errorf("GET %s: %d", p, resp.StatusCode)
					continue
				}
				for _, m := range linkRe.FindAllStringSubmatch(body, -1) {
					link := html.UnescapeString(m[1])
					if !ok(link) {
						t.Errorf("%s links to %q, outside %s", p, link, base)
						continue
					}
					u, err := url.Parse(link)
					if err != nil || !strings.HasPrefix(link, base+"/admin/") || strings.Contains(u.Path, "/-/static/") ||
						strings.HasSuffix(u.Path, "export.csv") || strings.HasSuffix(u.Path, "/lookup") || strings.HasSuffix(u.Path, "/delete/") {
						continue
					}
					if strings.Contains(m[0], "action=") {
						continue // forms are posted below
					}
					if !seen[link] {
						seen[link] = true
						queue = append(queue, link)
					}
				}
			}
			if pages < 10 {
				t.Errorf("crawled only %d admin pages", pages)
			}

			// Writes: add a row, then the logout.
			_, body := b.do("GET", base+"/admin/authors/add/", nil, nil)
			m := csrfRe.FindStringSubmatch(body)
			if m == nil {
				t.Fatal("no CSRF token on the add form")
			}
			resp, _ = b.do("POST", base+"/admin/authors/add/", url.Values{"csrf_token": {m[1]}, "name": {"Prefixed"}, "email": {"prefixed@example.test"}, "bio": {"b"}}, nil)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, base+"/admin/authors/") {
				t.Errorf("add: %d %q", resp.StatusCode, loc)
			}
			if n := s.count("acme", "SELECT COUNT(*) FROM authors WHERE name = 'Prefixed'"); n != 1 {
				t.Errorf("acme has %d Prefixed authors, want 1", n)
			}
			_, body = b.do("GET", base+"/admin/", nil, nil)
			m = csrfRe.FindStringSubmatch(body)
			resp, _ = b.do("POST", base+"/logout", url.Values{"csrf_token": {m[1]}}, nil)
			expect(t, "logout", resp, http.StatusSeeOther, base+"/login")
		})

		t.Run("login under a prefix stays inside it; tenants under /t/ keep a cookie each", func(t *testing.T) {
			b := s.browserAt(t, "example.test")
			expect(t, "next outside the tenant", loginAt(t, b, "/t/globex", "alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/t/globex/")
			expect(t, "next in another tenant", loginAt(t, b, "/t/acme", "alice", tenantPassword, "/t/globex/admin/"), http.StatusSeeOther, "/t/acme/")
			expect(t, "no next", loginAt(t, b, "/t/acme", "alice", tenantPassword, ""), http.StatusSeeOther, "/t/acme/")
			for _, p := range []string{"/t/acme/admin/", "/t/globex/admin/"} {
				if resp, _ := b.do("GET", p, nil, nil); resp.StatusCode != http.StatusOK {
					t.Errorf("logged into both tenants, %s: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			if resp, _ := b.do("GET", "/admin/", nil, nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the apex admin with the tenants' cookies: %d, want a redirect to its login", resp.StatusCode)
			}
		})

		t.Run("branding: the tenant's name, escaped, its logo and accent from the registry", func(t *testing.T) {
			const evilName = `<script>alert(1)</script> Evil & Co`
			tn, err := s.reg.Create(ctx, tenancy.CreateParams{Slug: "evil", Name: evilName})
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.reg.Open(ctx, tn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.DB.Close()
			if _, err := auth.New(d).CreateUser(ctx, auth.CreateUserParams{Username: "alice", Password: tenantPassword, Staff: true, Superuser: true}); err != nil {
				t.Fatal(err)
			}
			// evil's own logo and accent; acme has none and gets the default.
			if err := s.reg.SetBranding(ctx, "evil", "/media/evil.png", "#123ABC"); err != nil {
				t.Fatal(err)
			}
			srv := brandedAdmin(t, s, db)
			for _, c := range []struct{ host, base, title, accent, logo string }{
				{"evil.example.test", "", html.EscapeString(evilName), "#123abc", "/media/evil.png"},
				{"example.test", "/t/evil", html.EscapeString(evilName), "#123abc", "/media/evil.png"},
				{"example.test", "/t/acme", "ACME", "#aa3300", "/static/logo.svg"},
			} {
				b := browserOn(t, srv, c.host)
				expect(t, "login", loginAt(t, b, c.base, "alice", tenantPassword, c.base+"/admin/"), http.StatusSeeOther, c.base+"/admin/")
				resp, body := b.do("GET", c.base+"/admin/", nil, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s%s/admin/: %d", c.host, c.base, resp.StatusCode)
				}
				if !strings.Contains(body, "· "+c.title+"</title>") || !strings.Contains(body, "> "+c.title+"</a>") {
					t.Errorf("%s%s/admin/ is not titled %q:\n%s", c.host, c.base, c.title, body)
				}
				if strings.Contains(body, "<script>alert") {
					t.Errorf("%s%s/admin/ shows the tenant's name unescaped", c.host, c.base)
				}
				if !strings.Contains(body, "--accent: "+c.accent+";") || !strings.Contains(body, `src="`+c.logo+`"`) {
					t.Errorf("%s%s/admin/ lacks the accent %s or the logo %s", c.host, c.base, c.accent, c.logo)
				}
				if strings.Contains(body, "quarry_tenan") {
					t.Errorf("%s%s/admin/ lists a registry table", c.host, c.base)
				}
			}
		})
	})
}

// brandedAdmin serves the tenants of s through a second app whose admin
// is branded by tenancy.AdminBranding, with a logo and an accent colour
// for every tenant.
func brandedAdmin(t *testing.T, s *tenantSite, db *dbtest.DB) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest}, framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	mw, err := tenancy.Middleware(tenancy.Options{Lookup: tenancy.NewCache(s.reg, tenancy.CacheOptions{Generation: s.reg.Generation}), Pools: s.pools,
		Resolvers: tenancy.DefaultResolvers("example.test"), ApexHosts: []string{"example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	app.WrapRouter(mw)
	a, err := authhttp.New(authhttp.Options{Sessions: authhttp.NewSessions(app.Config(), session.NewStore(app.Database())), Keys: app.Keys()})
	if err != nil {
		t.Fatal(err)
	}
	app.Use(a.Middleware)
	r := app.Router()
	a.Mount(r)
	// No ExcludeTables: the admin's own defaults must hide the registry.
	adm, err := admin.New(ctx, app, admin.Options{Auth: a, Title: "Tenant admin",
		Branding: tenancy.AdminBranding(admin.Branding{Accent: "#AA3300", LogoURL: "/static/logo.svg"})})
	if err != nil {
		t.Fatal(err)
	}
	r.Handle("/admin/", adm)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return srv
}
