package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/admin"
	blogdb "github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestTenantSharedTables declares the blog's tags a shared table, on
// every dialect: a handler inside acme and inside globex reads the tags of
// the main database through tenancy.Shared and its own authors through
// framework.DatabaseFrom, the apex reads the same tags, acme's admin
// leaves tags out (not listed, 404 by URL) while the apex's lists them,
// and a tag added in the apex's admin is seen from both tenants.
func TestTenantSharedTables(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newTenantSite(t, db)
		ctx := context.Background()
		main := s.app.Database()
		for _, name := range []string{"plan-basic", "plan-pro"} {
			if _, err := blogdb.Queries(main).TagEnsure(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		// acme's own, empty and unused, copy of the shared table: never read.
		if _, err := blogdb.Queries(s.tenants["acme"]).TagEnsure(ctx, "acme-local-copy"); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.New(main).CreateUser(ctx, auth.CreateUserParams{Username: "operator", Password: tenantPassword, Staff: true, Superuser: true}); err != nil {
			t.Fatal(err)
		}
		srv := sharedSite(t, s, db)

		catalogue := func(host, base string) string {
			t.Helper()
			b := browserOn(t, srv, host)
			resp, body := b.do("GET", base+"/catalogue", nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s%s/catalogue: %d\n%s", host, base, resp.StatusCode, body)
			}
			return body
		}
		const shared = "shared=plan-basic,plan-pro"
		for _, c := range []struct{ host, base, want string }{
			{"acme.example.test", "", shared + " own=Acme Writer"},
			{"example.test", "/t/acme", shared + " own=Acme Writer"},
			{"globex.example.test", "", shared + " own=Globex Writer"},
			{"example.test", "", shared + " own=Main Writer"},
		} {
			if got := catalogue(c.host, c.base); got != c.want {
				t.Errorf("%s%s/catalogue: %q, want %q", c.host, c.base, got, c.want)
			}
		}

		// The admins: acme's leaves the shared table out, the apex's has it.
		acme := browserOn(t, srv, "acme.example.test")
		if resp := loginAt(t, acme, "", "alice", tenantPassword, "/admin/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("acme login: %d", resp.StatusCode)
		}
		resp, body := acme.do("GET", "/admin/", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `/admin/authors/"`) {
			t.Fatalf("acme /admin/: %d\n%s", resp.StatusCode, excerpt(body))
		}
		if strings.Contains(body, "/admin/tags/") {
			t.Errorf("acme's admin lists the shared table tags:\n%s", excerpt(body))
		}
		for _, p := range []string{"/", "/add/", "/1/change/", "/export.csv"} {
			if resp, _ := acme.do("GET", "/admin/tags"+p, nil, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("acme /admin/tags%s: %d, want 404", p, resp.StatusCode)
			}
		}
		if resp, _ := acme.do("GET", "/admin/post_tags/", nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("acme /admin/post_tags/ (not shared): %d, want 200", resp.StatusCode)
		}

		apex := browserOn(t, srv, "example.test")
		if resp := loginAt(t, apex, "", "operator", tenantPassword, "/admin/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("apex login: %d", resp.StatusCode)
		}
		resp, body = apex.do("GET", "/admin/", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/admin/tags/") {
			t.Fatalf("the apex's admin does not list tags: %d\n%s", resp.StatusCode, excerpt(body))
		}
		resp, body = apex.do("GET", "/admin/tags/add/", nil, nil)
		m := csrfRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("apex /admin/tags/add/: %d\n%s", resp.StatusCode, excerpt(body))
		}
		resp, body = apex.do("POST", "/admin/tags/add/", url.Values{"name": {"plan-enterprise"}, "_save": {"1"}, "csrf_token": {m[1]}}, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("apex adds a tag: %d\n%s", resp.StatusCode, excerpt(body))
		}
		for _, host := range []string{"acme.example.test", "globex.example.test", "example.test"} {
			if got := catalogue(host, ""); !strings.HasPrefix(got, "shared=plan-basic,plan-enterprise,plan-pro own=") {
				t.Errorf("%s/catalogue after the apex's write: %q", host, got)
			}
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM tags"); n != 0 {
			t.Errorf("globex's copy of tags has %d rows, want 0", n)
		}
	})
}

// sharedSite serves s's tenants with tags declared shared: GET /catalogue
// answers "shared=<tags of the main database> own=<the request
// database's authors>", and the admin hides shared tables in tenants.
func sharedSite(t *testing.T, s *tenantSite, db *dbtest.DB) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest}, framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	mw, err := tenancy.Middleware(tenancy.Options{Lookup: tenancy.NewCache(s.reg, tenancy.CacheOptions{Generation: s.reg.Generation}), Pools: s.pools,
		Resolvers: tenancy.DefaultResolvers("example.test"), ApexHosts: []string{"example.test"}, SharedTables: []string{"tags"}})
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
	adm, err := admin.New(ctx, app, admin.Options{Auth: a, ExcludeTables: tenancy.RegistryTables(), ExcludeTablesFor: tenancy.HideSharedTables})
	if err != nil {
		t.Fatal(err)
	}
	r.Handle("/admin/", adm)
	r.HandleFunc("/catalogue", func(w http.ResponseWriter, r *http.Request) {
		tags, err := blogdb.Queries(tenancy.Shared(r.Context())).TagList(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		authors, err := blogdb.Queries(framework.DatabaseFrom(r.Context())).AuthorList(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var names, own []string
		for _, tg := range tags {
			names = append(names, tg.Name)
		}
		for _, au := range authors {
			own = append(own, au.Name)
		}
		slices.Sort(names)
		_, _ = fmt.Fprintf(w, "shared=%s own=%s", strings.Join(names, ","), strings.Join(own, ","))
	})
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return srv
}
