package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// identityApp is an app with the identity pages, a user ada and a
// login-only page /private, on db (several such apps may share one db, as
// instances of one app do). keys signs its CSRF cookies.
func identityApp(t *testing.T, db *dbtest.DB, cfg framework.Config, keys *signing.Keyring) *framework.App {
	t.Helper()
	app, _ := identityAppStore(t, db, cfg, keys)
	return app
}

// identityAppStore is identityApp, also returning its session store.
func identityAppStore(t *testing.T, db *dbtest.DB, cfg framework.Config, keys *signing.Keyring) (*framework.App, *session.Store) {
	t.Helper()
	app, st, _ := identityAppAuth(t, db, cfg, keys)
	return app, st
}

// identityAppAuth is identityApp, also returning its session store and
// its auth layer.
func identityAppAuth(t *testing.T, db *dbtest.DB, cfg framework.Config, keys *signing.Keyring) (*framework.App, *session.Store, *authhttp.Auth) {
	t.Helper()
	migrated(t, db)
	ctx := context.Background()
	cfg.DatabaseURL, cfg.Env = db.URL, framework.EnvTest
	app, err := framework.New(ctx, cfg, framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	var users int
	if err := db.SQL.QueryRow("SELECT COUNT(*) FROM quarry_users WHERE username = 'ada'").Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users == 0 {
		if _, err := auth.New(app.Database()).CreateUser(ctx, auth.CreateUserParams{Username: "ada", Password: "plenty-long-secret"}); err != nil {
			t.Fatal(err)
		}
	}
	st := session.NewStore(app.Database())
	a, err := authhttp.New(authhttp.Options{Sessions: authhttp.NewSessions(app.Config(), st), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	app.Use(a.Middleware)
	a.Mount(app.Router())
	app.Router().Handle("/private", a.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authhttp.UserFrom(r.Context())
		w.Write([]byte("ok " + u.Username))
	})))
	// An anonymous visitor's session that holds something (a cart, say).
	app.Router().HandleFunc("/remember", func(w http.ResponseWriter, r *http.Request) {
		a.Sessions().Put(r.Context(), "remembered", true)
	})
	return app, st, a
}

func sessionRows(t *testing.T, db *dbtest.DB) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow("SELECT COUNT(*) FROM quarry_sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnonymousVisitorsWriteNoSession: the login form's CSRF token lives
// in a signed cookie, so 1,000 anonymous visits (login page, a redirect to
// it, a failed login) write no session row; a login writes one.
func TestAnonymousVisitorsWriteNoSession(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app := identityApp(t, db, framework.Config{}, nil)
		h := app.Handler()
		for i := range 1000 {
			path := "/login"
			if i%2 == 1 {
				path = "/private"
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != 200 && rec.Code != 303 {
				t.Fatalf("GET %s: %d", path, rec.Code)
			}
			for _, c := range rec.Result().Cookies() {
				if c.Name == "quarry_session" {
					t.Fatalf("GET %s set a session cookie", path)
				}
			}
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		b := newBrowser(t, srv.URL)
		resp, _ := b.do("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong-password"}, "csrf_token": {b.token()}}, nil)
		expect(t, "failed login", resp, 401, "")
		if n := sessionRows(t, db); n != 0 {
			t.Fatalf("anonymous visits wrote %d session rows; want 0", n)
		}
		expect(t, "login", b.login("ada", "plenty-long-secret", "/private"), 303, "/private")
		if n := sessionRows(t, db); n != 1 {
			t.Fatalf("a login wrote %d session rows; want 1", n)
		}
	})
}

// TestCSRFCookie: tokens are bound to the signed cookie, replaced at login
// and logout, accepted by another instance with the same key and after a
// key rotation, refused under another key.
func TestCSRFCookie(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		oldKeys, _ := signing.New("0123456789abcdef0123456789abcdef-old")
		keys, _ := signing.New("fedcba9876543210fedcba9876543210-new", "0123456789abcdef0123456789abcdef-old")
		other, _ := signing.New("a-different-secret-a-different-secret")
		h := identityApp(t, db, framework.Config{}, keys).Handler()
		srv := httptest.NewServer(h)
		defer srv.Close()

		// Forms rendered by an instance on the old key still post after
		// the rotation; a key the app never had is refused.
		for _, c := range []struct {
			name   string
			keys   *signing.Keyring
			status int
		}{{"same key", keys, 401}, {"rotated-out key in fallbacks", oldKeys, 401}, {"unknown key", other, 403}} {
			issuer := httptest.NewServer(identityApp(t, db, framework.Config{}, c.keys).Handler())
			b := newBrowser(t, issuer.URL)
			tok := b.token()
			u, _ := url.Parse(issuer.URL)
			var cookie string
			for _, ck := range b.c.Jar.Cookies(u) {
				if ck.Name == authhttp.CSRFCookie {
					cookie = ck.Value
				}
			}
			issuer.Close()
			req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"username": {"ada"}, "password": {"wrong-password"}, "csrf_token": {tok}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: authhttp.CSRFCookie, Value: cookie})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
			}
		}

		// A token is worth nothing with another cookie, or after login and logout.
		b := newBrowser(t, srv.URL)
		before := b.token()
		thief := newBrowser(t, srv.URL)
		thief.token()
		resp, body := thief.do("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong-password"}, "csrf_token": {before}}, nil)
		if resp.StatusCode != 403 || !strings.Contains(body, "wrong token") {
			t.Errorf("a token with another visitor's cookie: %d %s", resp.StatusCode, body)
		}
		expect(t, "login", b.login("ada", "plenty-long-secret", "/"), 303, "/")
		resp, _ = b.do("POST", "/logout", url.Values{"csrf_token": {before}}, nil)
		expect(t, "logout with the token from before the login", resp, 403, "")
		after := b.token()
		if after == before {
			t.Error("the CSRF token did not change at login")
		}
		resp, _ = b.do("POST", "/logout", url.Values{"csrf_token": {after}}, nil)
		expect(t, "logout", resp, 303, "/login")
		resp, _ = b.do("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong-password"}, "csrf_token": {after}}, nil)
		expect(t, "the token from before the logout", resp, 403, "")

		// A value planted in a logged-in victim's browser (from a sibling
		// subdomain, say) with the attacker's own anonymous token is refused:
		// the token is bound to the session's user.
		victim := newBrowser(t, srv.URL)
		expect(t, "victim login", victim.login("ada", "plenty-long-secret", "/"), 303, "/")
		attacker := newBrowser(t, srv.URL)
		attackerToken := attacker.token()
		base, _ := url.Parse(srv.URL)
		for _, c := range attacker.c.Jar.Cookies(base) {
			if c.Name == authhttp.CSRFCookie {
				victim.c.Jar.SetCookies(base, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
			}
		}
		resp, _ = victim.do("POST", "/logout", url.Values{"csrf_token": {attackerToken}}, nil)
		expect(t, "a planted cookie with the attacker's token", resp, 403, "")

		// The cookie's attributes.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
		var found bool
		for _, c := range rec.Result().Cookies() {
			if c.Name == authhttp.CSRFCookie {
				found = c.HttpOnly && c.SameSite == http.SameSiteLaxMode && c.Path == "/"
			}
		}
		if !found {
			t.Errorf("CSRF cookie missing or without HttpOnly, SameSite=Lax, Path=/: %v", rec.Header()["Set-Cookie"])
		}
	})
}

// TestCSRFCookieWithoutBody: the CSRF cookie reaches the client when the
// handler hands out a token but writes no body (a token endpoint), and a
// handler that flushes before writing sends both the session's cookie and
// the CSRF cookie.
func TestCSRFCookieWithoutBody(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, dialects.SQLite)
	app, _, a := identityAppAuth(t, db, framework.Config{}, nil)
	app.Router().HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-CSRF-Token", a.CSRFToken(r.Context()))
	})
	app.Router().HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		a.Sessions().Put(r.Context(), "streamed", true)
		w.Header().Set("X-CSRF-Token", a.CSRFToken(r.Context()))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		w.Write([]byte("streamed"))
	})
	h := app.Handler()
	for _, c := range []struct {
		path  string
		wants []string
	}{{"/token", []string{authhttp.CSRFCookie}}, {"/stream", []string{authhttp.CSRFCookie, "quarry_session"}}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		got := map[string]bool{}
		for _, ck := range rec.Result().Cookies() {
			got[ck.Name] = true
		}
		for _, name := range c.wants {
			if !got[name] {
				t.Errorf("GET %s: no %s cookie (%v), token %q", c.path, name, rec.Header()["Set-Cookie"], rec.Header().Get("X-CSRF-Token"))
			}
		}
	}
}

// TestIdentityPageHeaders: the login, logout and password pages answer
// with the admin's protective headers, errors and redirects included.
func TestIdentityPageHeaders(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		srv := httptest.NewServer(identityApp(t, db, framework.Config{}, nil).Handler())
		defer srv.Close()
		b := newBrowser(t, srv.URL)
		check := func(what string, resp *http.Response) {
			t.Helper()
			for h, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s: %s = %q, want %q", what, h, got, want)
				}
			}
		}
		resp, _ := b.do("GET", "/login", nil, nil)
		check("GET /login", resp)
		resp, _ = b.do("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong-password"}, "csrf_token": {b.token()}}, nil)
		check("failed login", resp)
		check("login", b.login("ada", "plenty-long-secret", "/"))
		resp, _ = b.do("GET", "/password", nil, nil)
		check("GET /password", resp)
		resp, _ = b.do("POST", "/password", url.Values{"current": {"wrong"}, "csrf_token": {b.token()}}, nil)
		check("POST /password", resp)
		resp, _ = b.do("POST", "/logout", url.Values{"csrf_token": {b.token()}}, nil)
		check("logout", resp)
		resp, _ = b.do("GET", "/password", nil, nil)
		check("GET /password logged out", resp)
	})
}

// TestLoginNextStaysOnSite logs in with tricky next= values over HTTP: the
// Location sent, read as a browser reads it, stays on the site.
func TestLoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		srv := httptest.NewServer(identityApp(t, db, framework.Config{}, nil).Handler())
		defer srv.Close()
		for _, next := range []string{`/./\evil.example`, `/\evil.example`, "/.//evil.example", "/\t/evil.example", "//evil.example", `/%5C%5Cevil.example`, "//user@evil.example", "javascript:alert(1)", "/admin/./?q=1"} {
			resp := newBrowser(t, srv.URL).login("ada", "plenty-long-secret", next)
			loc := resp.Header.Get("Location")
			u, err := url.Parse(srv.URL)
			if err == nil {
				u, err = u.Parse(strings.ReplaceAll(loc, `\`, "/"))
			}
			if resp.StatusCode != 303 || err != nil || u.Host != strings.TrimPrefix(srv.URL, "http://") {
				t.Errorf("next=%q: %d Location %q", next, resp.StatusCode, loc)
			}
		}
	})
}

// TestLoginThrottleBehindProxies: login throttling counts the client
// address that the trusted proxies forwarded. With none trusted (the
// default) X-Forwarded-For is ignored, so rotating it does not dodge the
// throttle; with the proxy trusted, the attacker's forwarded address is
// throttled while a victim behind the same proxy logs in.
func TestLoginThrottleBehindProxies(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		loopback, _ := middleware.ParseTrustedProxies("127.0.0.1, ::1")
		for _, c := range []struct {
			name    string
			trusted []netip.Prefix
		}{{"no trusted proxies", nil}, {"trusted proxy", loopback}} {
			db := db
			if c.trusted != nil {
				db = dbtest.New(t, db.Dialect().Name())
			}
			srv := httptest.NewServer(identityApp(t, db, framework.Config{TrustedProxies: c.trusted}, nil).Handler())
			defer srv.Close()
			attempt := func(b *browser, forwarded, password string) *http.Response {
				t.Helper()
				tok := b.token()
				resp, _ := b.do("POST", "/login", url.Values{"username": {"ada"}, "password": {password}, "csrf_token": {tok}},
					map[string]string{"X-Forwarded-For": forwarded})
				return resp
			}
			attacker := newBrowser(t, srv.URL)
			for i := range 5 {
				if resp := attempt(attacker, fmt.Sprintf("198.51.100.%d", i+1), "wrong-password"); resp.StatusCode != 401 {
					t.Fatalf("%s: failure %d: %d", c.name, i+1, resp.StatusCode)
				}
			}
			if c.trusted == nil {
				// Five different forwarded addresses, one real one: throttled.
				if resp := attempt(attacker, "198.51.100.99", "wrong-password"); resp.StatusCode != 429 {
					t.Errorf("%s: a sixth failure under a new X-Forwarded-For: %d, want 429", c.name, resp.StatusCode)
				}
				continue
			}
			// Trusted: five addresses, one failure each; none is throttled yet.
			for range 5 {
				attempt(attacker, "198.51.100.7", "wrong-password")
			}
			if resp := attempt(attacker, "198.51.100.7", "plenty-long-secret"); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s: the attacker's address after its failures: %d, want 429 with Retry-After", c.name, resp.StatusCode)
			}
			if resp := attempt(newBrowser(t, srv.URL), "203.0.113.9", "plenty-long-secret"); resp.StatusCode != 303 {
				t.Errorf("%s: the victim behind the same proxy: %d, want 303", c.name, resp.StatusCode)
			}
		}
	})
}
