package authhttp_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/session"
)

// FuzzLoginForm posts arbitrary bodies to the login handler (with a valid
// CSRF token, so the decoder is reached): no input may panic, answer 500,
// or log anyone in without the password. Each input hashes a password, so
// it runs slowly; FuzzSafeNext fuzzes the redirect on its own.
func FuzzLoginForm(f *testing.F) {
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		f.Fatal(err)
	}
	defer app.Close()
	m, _ := migrate.New(app.Database(), migrate.Options{})
	if _, err := m.Up(ctx); err != nil {
		f.Fatal(err)
	}
	if _, err := auth.New(app.Database()).CreateUser(ctx, auth.CreateUserParams{Username: "ada", Password: "plenty-long-secret"}); err != nil {
		f.Fatal(err)
	}
	sm := authhttp.NewSessions(app.Config(), session.NewStore(app.Database()))
	a, err := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys()})
	if err != nil {
		f.Fatal(err)
	}
	app.Use(a.Middleware)
	a.Mount(app.Router())
	h := app.Handler()

	// A fresh session and CSRF token for each input (a successful login
	// replaces both).
	tokenRe := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	fresh := func(t *testing.T) (cookie, token string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
		m := tokenRe.FindStringSubmatch(rec.Body.String())
		if rec.Header().Get("Set-Cookie") == "" || m == nil {
			t.Fatal("no CSRF cookie or token")
		}
		return strings.Split(rec.Header().Get("Set-Cookie"), ";")[0], m[1]
	}

	for _, s := range []string{"username=ada&password=wrong-one", "username=ada&password=plenty-long-secret&next=%2F%2Fevil",
		"", "%zz", "username=" + strings.Repeat("a", 5000), "username=ada&username=bob&password=x", "next=javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		// Forget earlier failures, so every input reaches the password check.
		if _, err := app.DB().ExecContext(ctx, "DELETE FROM quarry_login_failures"); err != nil {
			t.Fatal(err)
		}
		cookie, token := fresh(t)
		req := httptest.NewRequest("POST", "https://site.example/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-CSRF-Token", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		io.Copy(io.Discard, resp.Body)
		switch resp.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized:
		case http.StatusSeeOther:
			if !strings.Contains(body, "plenty-long-secret") {
				t.Fatalf("logged in without the password: %q", body)
			}
			if u, err := browserTarget(resp.Header.Get("Location")); err != nil || u.Host != "site.example" {
				t.Fatalf("redirect off-site to %q for %q", resp.Header.Get("Location"), body)
			}
		default:
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
	})
}
