package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/examples/blog/tenants"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

var demoPasswordRe = regexp.MustCompile(`superuser for tenant (\w+) .*\n.*\n  password: (\S+)`)

// TestDemoTenantMode runs the demo's tenant mode (QUARRY_TENANCY=on) the
// way its main does, on every dialect: the first start creates acme and
// globex (seeded, each with its superuser, whose password is printed
// once), both are served — acme by subdomain of localhost, globex under
// /t/globex/ — beside the apex on the main database, and a second start
// creates nothing.
func TestDemoTenantMode(t *testing.T) {
	if on, err := tenants.Enabled("on"); !on || err != nil {
		t.Fatalf("Enabled(on) = %v, %v", on, err)
	}
	if on, err := tenants.Enabled(""); on || err != nil {
		t.Fatalf("Enabled(\"\") = %v, %v", on, err)
	}
	if _, err := tenants.Enabled("maybe"); err == nil {
		t.Fatal("Enabled(maybe): no error")
	}
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		var b [4]byte
		_, _ = rand.Read(b[:])
		opts := tenants.Options{SQLiteDir: t.TempDir(), DatabasePrefix: "qd" + hex.EncodeToString(b[:]) + "_"}

		// start is the demo's main up to serving: migrate and seed the main
		// database, the tenant mode, the routes, the tenants' workers.
		start := func(out *bytes.Buffer) (*tenants.Mode, *httptest.Server) {
			t.Helper()
			app := newBlogApp(t, db)
			if err := api.Seed(ctx, app.Database()); err != nil {
				t.Fatal(err)
			}
			o := opts
			o.Out = out
			tm, err := tenants.Setup(ctx, app, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := tm.Close(); err != nil {
					t.Error(err)
				}
			})
			a, err := site.Mount(ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			api.Mount(app.Router(), app.Logger(), a)
			tm.Start(ctx)
			srv := httptest.NewServer(app.Handler())
			t.Cleanup(srv.Close)
			return tm, srv
		}

		t.Cleanup(func() { // registered first, so it runs after the pools and apps are closed
			d, err := framework.OpenDatabase(context.Background(), db.URL)
			if err != nil {
				t.Errorf("cleanup: %v", err)
				return
			}
			defer d.DB.Close()
			reg := tenancy.NewRegistry(d, tenancy.RegistryOptions{SQLiteDir: opts.SQLiteDir, DatabasePrefix: opts.DatabasePrefix})
			for _, td := range tenants.Demo {
				if err := reg.Delete(context.Background(), td.Slug, true); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
		})
		var out bytes.Buffer
		tm, srv := start(&out)
		if !slices.Equal(tm.Created, []string{"acme", "globex"}) {
			t.Fatalf("first start created %v, want acme and globex", tm.Created)
		}
		passwords := map[string]string{}
		for _, m := range demoPasswordRe.FindAllStringSubmatch(out.String(), -1) {
			passwords[m[1]] = m[2]
		}
		if passwords["acme"] == "" || passwords["globex"] == "" {
			t.Fatalf("the tenants' superuser passwords were not printed: %q", out.String())
		}

		// A row only acme has, to tell the three databases apart.
		acme, err := tm.Registry.Show(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		ad, err := tm.Registry.Open(ctx, acme)
		if err != nil {
			t.Fatal(err)
		}
		insertAuthor(t, ad, "Acme Only", "only@acme.test")
		ad.DB.Close()

		site := &tenantSite{srv: srv}
		for _, tc := range []struct{ host, path, want, not string }{
			{"acme.localhost:8000", "/api/authors", "Acme Only", ""},
			{"acme.localhost", "/api/posts", "analytical-engine", ""},
			{"localhost:8000", "/t/globex/api/authors", "Ada Lovelace", "Acme Only"},
			{"localhost:8000", "/t/acme/api/authors", "Acme Only", ""},
			{"127.0.0.1:8000", "/api/authors", "Ada Lovelace", "Acme Only"}, // the apex, as without the tenant mode
			{"localhost", "/api/authors", "Ada Lovelace", "Acme Only"},
		} {
			resp, body := site.browserAt(t, tc.host).do("GET", tc.path, nil, map[string]string{"Accept": "application/json"})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s%s: %d", tc.host, tc.path, resp.StatusCode)
				continue
			}
			wantContains(t, tc.host+tc.path, body, tc.want)
			if tc.not != "" {
				wantAbsent(t, tc.host+tc.path, body, tc.not)
			}
		}
		if resp, _ := site.browserAt(t, "nosuch.localhost").do("GET", "/api/authors", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown tenant: %d, want 404", resp.StatusCode)
		}
		// acme's admin, with the password printed for acme.
		a := site.browserAt(t, "acme.localhost:8000")
		expect(t, "login on acme", a.login("admin", passwords["acme"], "/admin/"), http.StatusSeeOther, "/admin/")
		wantContains(t, "acme's admin", (&adminBrowser{browser: a}).get("/admin/authors/", http.StatusOK), "Acme Only")
		if w := tm.Workers.Running(); !slices.Equal(w, []string{"acme", "globex"}) {
			t.Errorf("tenant workers running: %v", w)
		}

		// A second start (the same databases) creates nothing and prints no
		// password.
		var out2 bytes.Buffer
		tm2, srv2 := start(&out2)
		if len(tm2.Created) != 0 || out2.Len() != 0 {
			t.Errorf("second start created %v and printed %q", tm2.Created, out2.String())
		}
		ts, err := tm2.Registry.List(ctx)
		if err != nil || len(ts) != 2 {
			t.Errorf("after two starts: %d tenants (%v), want 2", len(ts), err)
		}
		resp, body := (&tenantSite{srv: srv2}).browserAt(t, "acme.localhost:8000").do("GET", "/api/authors", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("acme after the second start: %d", resp.StatusCode)
		}
		wantContains(t, "acme after the second start", body, "Acme Only")
	})
}
