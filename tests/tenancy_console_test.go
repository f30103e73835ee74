package tests

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// testClock is a clock the test moves forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time             { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration)    { c.offset.Add(int64(d)) }
func (c *testClock) Reset()                     { c.offset.Store(0) }
func (s *tenantSite) status(slug string) string { return string(s.mustShow(slug).Status) }

func (s *tenantSite) mustShow(slug string) *tenancy.Tenant {
	s.t.Helper()
	tn, err := s.reg.Show(context.Background(), slug)
	if err != nil {
		s.t.Fatal(err)
	}
	return tn
}

// waitStatus polls host's API until it answers status (5 s at most).
func (s *tenantSite) waitStatus(t *testing.T, host string, status int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := s.browserAt(t, host).do("GET", "/api/authors", nil, map[string]string{"Accept": "application/json"})
		if resp.StatusCode == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers %d, want %d", host, resp.StatusCode, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const operatorPassword = "operator-test-secret-1"

// TestTenantConsole drives the operator console and impersonation over
// HTTP on every dialect: who may use the console, the list, create,
// suspend, resume and migrate behind CSRF checks, the console's 404
// inside tenants, and entering a tenant's admin through a grant — whose
// writes are audited as the operator's, and which is refused on another
// tenant, after expiry, a second time, or tampered with.
func TestTenantConsole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newTenantSite(t, db)
		ctx := context.Background()
		clock := &testClock{}
		con, err := tenancy.NewConsole(ctx, s.reg, tenancy.ConsoleOptions{Auth: s.auth, Keys: s.app.Keys(), Pools: s.pools,
			BaseDomain: "example.test", Scheme: "http", Now: clock.Now, Logger: s.app.Logger()})
		if err != nil {
			t.Fatal(err)
		}
		con.Mount(s.app.Router())

		// Users of the main database: a superuser, an operator by
		// permission, and a staff user who is no operator.
		main := s.app.Database()
		svc := auth.New(main)
		for _, p := range []auth.CreateUserParams{
			{Username: "root", Password: operatorPassword, Superuser: true},
			{Username: "ops", Password: operatorPassword, Staff: true},
			{Username: "bob", Password: operatorPassword, Staff: true},
		} {
			if _, err := svc.CreateUser(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		db0, d := main.Handle()
		q := d.Queries(db0)
		perm, err := q.PermissionGetByCodename(ctx, tenancy.OperatePermission)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := q.UserGetByUsername(ctx, "ops")
		if err != nil {
			t.Fatal(err)
		}
		if err := q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: ops.ID, PermissionID: perm.ID, Granted: true}); err != nil {
			t.Fatal(err)
		}
		if err := svc.PermissionsChanged(ctx); err != nil {
			t.Fatal(err)
		}

		t.Run("only operators", func(t *testing.T) {
			anon := s.browserAt(t, "example.test")
			resp, _ := anon.do("GET", "/operator/", nil, nil)
			expect(t, "anonymous", resp, http.StatusSeeOther, "/login?next=%2Foperator%2F")
			bob := &adminBrowser{browser: s.browserAt(t, "example.test")}
			expect(t, "bob's login", bob.login("bob", operatorPassword, "/"), http.StatusSeeOther, "/")
			bob.get("/operator/", http.StatusForbidden)
			root := &adminBrowser{browser: s.browserAt(t, "example.test")}
			expect(t, "root's login", root.login("root", operatorPassword, "/operator/"), http.StatusSeeOther, "/operator/")
			root.get("/operator/", http.StatusOK)
		})

		op := &adminBrowser{browser: s.browserAt(t, "example.test")}
		expect(t, "ops' login", op.login("ops", operatorPassword, "/operator/"), http.StatusSeeOther, "/operator/")

		t.Run("list", func(t *testing.T) {
			page := op.get("/operator/", http.StatusOK)
			wantContains(t, "the console", page, "acme", "ACME", "globex", "GLOBEX", `data-status="active"`, "blog.globex.test", "Tenants (2)")
			// Versions read from each tenant's version tables, and a size.
			if !strings.Contains(page, " / ") || !strings.Contains(page, "B</td>") && !strings.Contains(page, "iB</td>") {
				t.Errorf("no versions or size in the list:\n%s", page)
			}
			if strings.Contains(page, "<td>— / —</td>") {
				t.Errorf("a tenant's versions could not be read:\n%s", page)
			}
		})

		t.Run("404 inside a tenant", func(t *testing.T) {
			a := &adminBrowser{browser: s.browserAt(t, "acme.example.test")}
			expect(t, "login on acme", a.login("alice", tenantPassword, "/"), http.StatusSeeOther, "/")
			a.get("/operator/", http.StatusNotFound)
			// A tenant's own superuser gets no impersonation banner.
			wantAbsent(t, "alice's admin", a.get("/admin/", http.StatusOK), `class="banner"`, "impersonating")
			if resp, _ := s.browserAt(t, "example.test").do("GET", "/t/acme/operator/", nil, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("/t/acme/operator/: %d, want 404", resp.StatusCode)
			}
			// And the enter endpoint does not exist on the apex.
			if resp, _ := op.do("GET", "/_quarry/enter?grant=x", nil, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("the enter endpoint on the apex: %d, want 404", resp.StatusCode)
			}
		})

		t.Run("create, suspend, resume, migrate", func(t *testing.T) {
			// Without the CSRF token: refused, nothing done.
			resp, _ := op.do("POST", "/operator/create", url.Values{"slug": {"initech"}, "name": {"Initech"}}, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("create without a CSRF token: %d, want 403", resp.StatusCode)
			}
			if _, err := s.reg.Show(ctx, "initech"); err == nil {
				t.Fatal("created without a CSRF token")
			}
			op.post("/operator/create", url.Values{"slug": {"initech"}, "name": {"Initech <Inc>"}}, http.StatusSeeOther)
			if got := s.status("initech"); got != "active" {
				t.Fatalf("initech is %s", got)
			}
			page := op.get("/operator/", http.StatusOK)
			wantContains(t, "after create", page, "Tenant initech created.", "Initech &lt;Inc&gt;", "Tenants (3)")
			// Errors are messages, never SQL.
			op.post("/operator/create", url.Values{"slug": {"acme"}}, http.StatusSeeOther)
			page = op.get("/operator/", http.StatusOK)
			wantContains(t, "a taken slug", page, "already exists")
			op.post("/operator/create", url.Values{"slug": {"Bad <slug>"}}, http.StatusSeeOther)
			page = op.get("/operator/", http.StatusOK)
			wantContains(t, "an invalid slug", page, "invalid", "Bad &lt;slug&gt;")
			wantAbsent(t, "an invalid slug", page, "<slug>", "INSERT", "SELECT")

			resp, _ = op.do("POST", "/operator/tenants/globex/suspend", url.Values{}, nil)
			if resp.StatusCode != http.StatusForbidden || s.status("globex") != "active" {
				t.Errorf("suspend without a CSRF token: %d, globex %s", resp.StatusCode, s.status("globex"))
			}
			op.post("/operator/tenants/globex/suspend", url.Values{}, http.StatusSeeOther)
			if got := s.status("globex"); got != "suspended" {
				t.Fatalf("globex is %s after suspend", got)
			}
			wantContains(t, "after suspend", op.get("/operator/", http.StatusOK), "Tenant globex is suspended.", `data-status="suspended"`)
			// The lookup cache sees the registry's generation within a second.
			s.waitStatus(t, "globex.example.test", http.StatusNotFound)
			op.post("/operator/tenants/globex/resume", url.Values{}, http.StatusSeeOther)
			if got := s.status("globex"); got != "active" {
				t.Fatalf("globex is %s after resume", got)
			}
			s.waitStatus(t, "globex.example.test", http.StatusOK)
			op.post("/operator/tenants/acme/migrate", url.Values{}, http.StatusSeeOther)
			wantContains(t, "after migrate", op.get("/operator/", http.StatusOK), "Tenant acme is migrated.")
			op.post("/operator/tenants/nosuch/migrate", url.Values{}, http.StatusSeeOther)
			wantContains(t, "migrate an unknown tenant", op.get("/operator/", http.StatusOK), "no such tenant")
			if resp, _ := op.do("GET", "/operator/tenants/acme/suspend", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET suspend: %d, want 405", resp.StatusCode)
			}
		})

		// grant asks the console for a grant to enter slug and returns the
		// path (and query) it redirects to on the tenant's host.
		grant := func(t *testing.T, slug string) string {
			t.Helper()
			resp, _ := op.post("/operator/tenants/"+slug+"/enter", url.Values{}, http.StatusSeeOther)
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || loc.Host != slug+".example.test" || loc.Path != "/_quarry/enter" || loc.Query().Get("grant") == "" {
				t.Fatalf("enter %s redirects to %q", slug, resp.Header.Get("Location"))
			}
			return loc.RequestURI()
		}
		refused := func(t *testing.T, what, host, path string, status int, msg string) {
			t.Helper()
			b := s.browserAt(t, host)
			resp, body := b.do("GET", path, nil, nil)
			if resp.StatusCode != status || !strings.Contains(body, msg) {
				t.Errorf("%s: %d %q, want %d %q", what, resp.StatusCode, body, status, msg)
			}
			if b.sessionCookie() != "" {
				if resp, _ := b.do("GET", "/admin/", nil, nil); resp.StatusCode == http.StatusOK {
					t.Errorf("%s: the admin is reachable", what)
				}
			}
		}

		t.Run("impersonation", func(t *testing.T) {
			// Without a CSRF token the console signs nothing.
			if resp, _ := op.do("POST", "/operator/tenants/acme/enter", url.Values{}, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("enter without a CSRF token: %d, want 403", resp.StatusCode)
			}
			path := grant(t, "acme")
			a := &adminBrowser{browser: s.browserAt(t, "acme.example.test")}
			resp, _ := a.do("GET", path, nil, nil)
			expect(t, "redeem the grant", resp, http.StatusSeeOther, "/admin/")
			wantContains(t, "acme's admin as the operator", a.get("/admin/quarry_users/", http.StatusOK), "operator:ops", "alice",
				`<div class="banner" role="status">Signed in as operator ops (impersonating) — <form method="post" action="/logout"`, ">sign out</button>")
			form := a.get("/admin/authors/1/change/", http.StatusOK)
			v := url.Values{"name": {"Acme Writer (by ops)"}, "email": {"acme@example.test"}, "bio": {"bio"}, "_save": {"1"}}
			if m := versionRe.FindStringSubmatch(form); m != nil {
				v.Set("_version", m[1])
			}
			a.post("/admin/authors/1/change/", v, http.StatusSeeOther)
			acme := s.tenants["acme"]
			var actor string
			err := acme.DB.QueryRow("SELECT u.username FROM quarry_audit_log l JOIN quarry_users u ON u.id = l.actor_id " +
				"WHERE l.table_name = 'authors' ORDER BY l.id DESC LIMIT 1").Scan(&actor)
			if err != nil || actor != "operator:ops" {
				t.Errorf("the audit row's actor is %q (%v), want operator:ops", actor, err)
			}
			var superuser bool
			var data string
			if err := acme.DB.QueryRow("SELECT is_superuser, data FROM quarry_users WHERE username = 'operator:ops'").Scan(&superuser, &data); err != nil ||
				!superuser || !strings.Contains(data, `"ops"`) {
				t.Errorf("the operator's tenant user: superuser %t, data %s (%v)", superuser, data, err)
			}
			// The impersonation session ends within ImpersonationLifetime
			// (an hour), not the usual 14 days.
			var expiry time.Time
			if err := acme.DB.QueryRow("SELECT s.expiry FROM quarry_sessions s JOIN quarry_users u ON u.id = s.user_id " +
				"WHERE u.username = 'operator:ops'").Scan(&expiry); err != nil || time.Until(expiry) > time.Hour+time.Minute {
				t.Errorf("the impersonation session expires at %v (%v), want within the hour", expiry, err)
			}
			if n := s.count("globex", "SELECT COUNT(*) FROM quarry_users WHERE username LIKE 'operator%'"); n != 0 {
				t.Error("entering acme made a user in globex")
			}
			// The operator's tenant user cannot log in with a password.
			expect(t, "password login as the operator's user", s.browserAt(t, "acme.example.test").login("operator:ops", ""+operatorPassword, "/admin/"),
				http.StatusUnauthorized, "")

			// The same grant again, in another browser: used.
			refused(t, "the grant replayed", "acme.example.test", path, http.StatusForbidden, "used already")
			// A grant for acme on globex, by subdomain and custom domain.
			path = grant(t, "acme")
			refused(t, "acme's grant on globex", "globex.example.test", path, http.StatusForbidden, "another tenant")
			refused(t, "acme's grant on globex's domain", "blog.globex.test", path, http.StatusForbidden, "another tenant")
			// Expired.
			clock.Advance(2*time.Minute + time.Second)
			refused(t, "an expired grant", "acme.example.test", path, http.StatusForbidden, "expired")
			clock.Reset()
			// Tampered: a changed payload, a changed signature.
			path = grant(t, "acme")
			u, _ := url.Parse(path)
			g := u.Query().Get("grant")
			dot := strings.LastIndexByte(g, '.')
			flip := func(s string, i int) string {
				c := byte('A')
				if s[i] == 'A' {
					c = 'B'
				}
				return s[:i] + string(c) + s[i+1:]
			}
			for what, bad := range map[string]string{"payload": flip(g, dot/2), "signature": flip(g, dot+3), "no signature": g[:dot]} {
				refused(t, "a tampered grant ("+what+")", "acme.example.test", "/_quarry/enter?grant="+url.QueryEscape(bad), http.StatusForbidden, "invalid")
			}
			refused(t, "no grant", "acme.example.test", "/_quarry/enter", http.StatusBadRequest, "no grant")
			// The untouched grant still works once.
			b := s.browserAt(t, "acme.example.test")
			resp, _ = b.do("GET", path, nil, nil)
			expect(t, "the untampered grant", resp, http.StatusSeeOther, "/admin/")
		})
	})
}
