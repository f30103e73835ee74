package tests

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token fetches the login page and returns its CSRF token.
func (b *browser) token() string {
	b.t.Helper()
	_, body := b.do("GET", "/login", nil, nil)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token in the login page:\n%s", body)
	}
	return m[1]
}

func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "quarry_session" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) login(user, pw, next string) *http.Response {
	b.t.Helper()
	resp, _ := b.do("POST", "/login", url.Values{"username": {user}, "password": {pw}, "next": {next}, "csrf_token": {b.token()}}, nil)
	return resp
}

func expect(t *testing.T, what string, resp *http.Response, status int, location string) {
	t.Helper()
	if resp.StatusCode != status || location != "" && resp.Header.Get("Location") != location {
		t.Errorf("%s: %d %q; want %d %q", what, resp.StatusCode, resp.Header.Get("Location"), status, location)
	}
}

// TestLoginFlow drives login, permissions, CSRF, password change and
// logout over HTTP on every dialect.
func TestLoginFlow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest}, framework.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		defer app.Close()
		svc := auth.New(app.Database())
		u, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "ada", Password: "plenty-long-secret"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SeedPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		sm := authhttp.NewSessions(app.Config(), session.NewStore(app.Database()))
		a, err := authhttp.New(authhttp.Options{Sessions: sm, TrustedOrigins: []string{"https://trusted.example"}})
		if err != nil {
			t.Fatal(err)
		}
		app.Use(a.Middleware)
		r := app.Router()
		a.Mount(r)
		ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
		r.Handle("/private", a.RequireLogin(ok))
		r.Handle("POST /action", a.RequireLogin(ok))
		r.Handle("/editors", a.RequirePerm("quarry_users.change")(ok))
		r.Handle("/root", a.RequireSuperuser(ok))
		srv := httptest.NewServer(app.Handler())
		defer srv.Close()

		b := newBrowser(t, srv.URL)
		resp, _ := b.do("GET", "/private", nil, nil)
		expect(t, "anonymous browser", resp, 303, "/login?next=%2Fprivate")
		resp, body := b.do("GET", "/private", nil, map[string]string{"Accept": "application/json"})
		if resp.StatusCode != 401 || !strings.Contains(body, `"error":"login required"`) {
			t.Errorf("anonymous JSON client: %d %s", resp.StatusCode, body)
		}
		resp, _ = b.do("POST", "/login", url.Values{"username": {"ada"}, "password": {"plenty-long-secret"}}, nil)
		expect(t, "login without a CSRF token", resp, 403, "")

		tok := b.token()
		before := b.sessionCookie()
		resp, body = b.do("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong-password"}, "csrf_token": {tok}}, nil)
		if resp.StatusCode != 401 || !strings.Contains(body, "Invalid username or password.") {
			t.Errorf("wrong password: %d", resp.StatusCode)
		}
		resp, body = b.do("POST", "/login", url.Values{"username": {"nobody"}, "password": {"wrong-password"}, "csrf_token": {tok}}, nil)
		if resp.StatusCode != 401 || !strings.Contains(body, "Invalid username or password.") {
			t.Errorf("unknown user: %d (must look like a wrong password)", resp.StatusCode)
		}
		expect(t, "login", b.login("ada", "plenty-long-secret", "/private?x=1"), 303, "/private?x=1")
		if after := b.sessionCookie(); after == "" || after == before {
			t.Errorf("session token not renewed at login (fixation): %q → %q", before, after)
		}
		resp, body = b.do("GET", "/private", nil, nil)
		if resp.StatusCode != 200 || body != "ok" {
			t.Errorf("logged in: %d %s", resp.StatusCode, body)
		}
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/ok\r\nX: y"} {
			expect(t, "next="+next, newBrowserLogin(t, srv.URL, next), 303, "/")
		}

		// Permissions: none yet, then a direct grant; superuser only for superusers.
		resp, _ = b.do("GET", "/editors", nil, nil)
		expect(t, "without the permission", resp, 403, "")
		resp, _ = b.do("GET", "/editors", nil, map[string]string{"Accept": "application/json"})
		expect(t, "without the permission, JSON", resp, 403, "")
		p, _ := db.Dialect().Queries(db.SQL).PermissionGetByCodename(ctx, "quarry_users.change")
		db.Dialect().Queries(db.SQL).UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: p.ID, Granted: true})
		if err := svc.PermissionsChanged(ctx); err != nil {
			t.Fatal(err)
		}
		resp, _ = b.do("GET", "/editors", nil, nil)
		expect(t, "with the permission", resp, 200, "")
		// Revoked: refused at once, though the set was cached.
		db.Dialect().Queries(db.SQL).UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: p.ID, Granted: false})
		if err := svc.PermissionsChanged(ctx); err != nil {
			t.Fatal(err)
		}
		resp, _ = b.do("GET", "/editors", nil, nil)
		expect(t, "denied after the grant", resp, 403, "")
		db.Dialect().Queries(db.SQL).UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: p.ID, Granted: true})
		if err := svc.PermissionsChanged(ctx); err != nil {
			t.Fatal(err)
		}
		resp, _ = b.do("GET", "/editors", nil, nil)
		expect(t, "granted again", resp, 200, "")
		resp, _ = b.do("GET", "/root", nil, nil)
		expect(t, "not a superuser", resp, 403, "")
		// Becoming a superuser rotates the session token.
		before = b.sessionCookie()
		if _, err := db.Dialect().Queries(db.SQL).UserUpdate(ctx, queries.UserUpdateParams{ID: u.ID, Email: u.Email, IsActive: true, IsStaff: true, IsSuperuser: true, Data: string(u.Data)}); err != nil {
			t.Fatal(err)
		}
		resp, _ = b.do("GET", "/root", nil, nil)
		expect(t, "now a superuser", resp, 200, "")
		if after := b.sessionCookie(); after == before {
			t.Error("session token not renewed on a privilege change")
		}

		// CSRF matrix on an unsafe method.
		tok = b.token()
		for _, c := range []struct {
			name   string
			form   url.Values
			header map[string]string
			status int
		}{
			{"no token", url.Values{}, nil, 403},
			{"wrong token", url.Values{"csrf_token": {"forged"}}, nil, 403},
			{"right token", url.Values{"csrf_token": {tok}}, nil, 200},
			{"token in header", url.Values{}, map[string]string{"X-CSRF-Token": tok}, 200},
			{"foreign Origin", url.Values{"csrf_token": {tok}}, map[string]string{"Origin": "https://evil.example"}, 403},
			{"cross-site fetch", url.Values{"csrf_token": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
			{"trusted Origin", url.Values{"csrf_token": {tok}}, map[string]string{"Origin": "https://trusted.example"}, 200},
			{"same-origin fetch", url.Values{"csrf_token": {tok}}, map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
			{"same-site fetch", url.Values{"csrf_token": {tok}}, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		} {
			resp, body := b.do("POST", "/action", c.form, c.header)
			if resp.StatusCode != c.status || c.status == 403 && !strings.Contains(body, "CSRF check failed") {
				t.Errorf("CSRF %s: %d %s; want %d", c.name, resp.StatusCode, body, c.status)
			}
		}
		resp, _ = b.do("GET", "/private", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
		expect(t, "cross-site GET (safe)", resp, 200, "")
		// JSON skips the form token but not the origin check.
		jsonPost := func(origin string) int {
			req, _ := http.NewRequest("POST", srv.URL+"/action", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := jsonPost("https://evil.example"); got != 403 {
			t.Errorf("JSON POST from a foreign Origin: %d; want 403", got)
		}
		if got := jsonPost(""); got != 200 {
			t.Errorf("JSON POST without Origin (a non-browser client): %d; want 200", got)
		}

		// A second session of the same user dies when the first changes the password.
		other := newBrowser(t, srv.URL)
		expect(t, "second login", other.login("ada", "plenty-long-secret", "/"), 303, "/")
		_, page := b.do("GET", "/password", nil, nil)
		ptok := csrfRe.FindStringSubmatch(page)[1]
		resp, body = b.do("POST", "/password", url.Values{"current": {"wrong"}, "new1": {"an0ther-secret!"}, "new2": {"an0ther-secret!"}, "csrf_token": {ptok}}, nil)
		if resp.StatusCode != 422 || !strings.Contains(body, "The current password is wrong.") {
			t.Errorf("wrong current password: %d", resp.StatusCode)
		}
		resp, body = b.do("POST", "/password", url.Values{"current": {"plenty-long-secret"}, "new1": {"password123"}, "new2": {"password123"}, "csrf_token": {ptok}}, nil)
		if resp.StatusCode != 422 || !strings.Contains(body, "commonly used") {
			t.Errorf("weak new password: %d", resp.StatusCode)
		}
		resp, body = b.do("POST", "/password", url.Values{"current": {"plenty-long-secret"}, "new1": {"an0ther-secret!"}, "new2": {"an0ther-secret!"}, "csrf_token": {ptok}}, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "Other sessions have been logged out.") {
			t.Errorf("password change: %d", resp.StatusCode)
		}
		resp, _ = b.do("GET", "/private", nil, nil)
		expect(t, "the changing session stays", resp, 200, "")
		resp, _ = other.do("GET", "/private", nil, nil)
		expect(t, "the other session is logged out", resp, 303, "/login?next=%2Fprivate")

		// Deactivating the account logs its sessions out.
		fresh, _ := db.Dialect().Queries(db.SQL).UserGetByID(ctx, u.ID)
		deact := newBrowser(t, srv.URL)
		expect(t, "login before deactivation", deact.login("ada", "an0ther-secret!", "/"), 303, "/")
		db.Dialect().Queries(db.SQL).UserUpdate(ctx, queries.UserUpdateParams{ID: u.ID, Email: fresh.Email, IsActive: false, IsStaff: fresh.IsStaff, IsSuperuser: fresh.IsSuperuser, Data: fresh.Data})
		resp, _ = deact.do("GET", "/private", nil, nil)
		expect(t, "after deactivation", resp, 303, "/login?next=%2Fprivate")
		db.Dialect().Queries(db.SQL).UserUpdate(ctx, queries.UserUpdateParams{ID: u.ID, Email: fresh.Email, IsActive: true, IsStaff: fresh.IsStaff, IsSuperuser: fresh.IsSuperuser, Data: fresh.Data})

		// Logout destroys the session: the old cookie no longer works.
		oldCookie := b.sessionCookie()
		resp, _ = b.do("POST", "/logout", url.Values{"csrf_token": {b.token()}}, nil)
		expect(t, "logout", resp, 303, "/login")
		resp, _ = b.do("GET", "/private", nil, nil)
		expect(t, "after logout", resp, 303, "/login?next=%2Fprivate")
		replay := newBrowser(t, srv.URL)
		resp, _ = replay.do("GET", "/private", nil, map[string]string{"Cookie": "quarry_session=" + oldCookie})
		expect(t, "replaying the logged-out cookie", resp, 303, "/login?next=%2Fprivate")

		// A JSON login is refused with 415, not counted as a failure.
		resp, _ = b.do("POST", "/login", nil, map[string]string{"Content-Type": "application/json"})
		expect(t, "JSON login", resp, 415, "")
		if _, err := db.SQL.ExecContext(ctx, "DELETE FROM quarry_login_failures"); err != nil {
			t.Fatal(err)
		}

		// Throttling: five failures, then 429 with Retry-After, even with the right password.
		tb := newBrowser(t, srv.URL)
		for range 5 {
			tb.login("ada", "wrong-password", "/")
		}
		resp = tb.login("ada", "an0ther-secret!", "/")
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("after 5 failures: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}

func newBrowserLogin(t *testing.T, base, next string) *http.Response {
	return newBrowser(t, base).login("ada", "plenty-long-secret", next)
}
