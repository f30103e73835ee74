package framework_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
)

// TestRoutes checks the Router's answers: patterns with methods and
// wildcards, 404 and 405 (with Allow) as problem details for requests no
// pattern matches, the ServeMux's redirects, and Use's middleware running
// on matched routes only, inside WrapRouter's whatever the call order.
func TestRoutes(t *testing.T) {
	t.Parallel()
	app := quietApp(t)
	var ran []string
	mark := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = append(ran, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	app.Use(mark("use-1"), mark("use-2")) // called first, still runs inside WrapRouter's
	app.WrapRouter(mark("wrap"))
	app.Router().HandleFunc("GET /posts/{slug}", func(w http.ResponseWriter, r *http.Request) {
		framework.WriteJSON(w, http.StatusOK, map[string]string{"slug": r.PathValue("slug")})
	})
	app.Router().HandleFunc("DELETE /posts/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	app.Router().Handle("/files/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) }))
	h := app.Handler()

	for _, tc := range []struct {
		method, path string
		status       int
		allow        []string // for 405
		body         string   // a substring of the body
		middleware   []string
	}{
		{method: "GET", path: "/posts/hello", status: 200, body: `"slug":"hello"`, middleware: []string{"wrap", "use-1", "use-2"}},
		{method: "HEAD", path: "/posts/hello", status: 200, middleware: []string{"wrap", "use-1", "use-2"}},
		{method: "DELETE", path: "/posts/7", status: 204, middleware: []string{"wrap", "use-1", "use-2"}},
		{method: "GET", path: "/files/a/b.txt", status: 200, body: "/files/a/b.txt", middleware: []string{"wrap", "use-1", "use-2"}},
		// The ServeMux's redirects are matches: the subtree's bare path.
		{method: "GET", path: "/files", status: http.StatusTemporaryRedirect, middleware: []string{"wrap", "use-1", "use-2"}},
		{method: "POST", path: "/posts/hello", status: 405, allow: []string{"DELETE", "GET", "HEAD"}, body: `"title":"Method Not Allowed"`, middleware: []string{"wrap"}},
		{method: "PUT", path: "/healthz", status: 405, allow: []string{"GET", "HEAD"}, middleware: []string{"wrap"}},
		{method: "GET", path: "/nothing/here", status: 404, body: `"title":"Not Found"`, middleware: []string{"wrap"}},
		{method: "GET", path: "/posts/", status: 404, middleware: []string{"wrap"}},
		{method: "GET", path: "/posts/a/b", status: 404, middleware: []string{"wrap"}},
	} {
		ran = nil
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Accept", "application/json")
		h.ServeHTTP(rec, req)
		name := tc.method + " " + tc.path
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d: %s", name, rec.Code, tc.status, rec.Body.String())
			continue
		}
		if !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: body %q lacks %q", name, rec.Body.String(), tc.body)
		}
		if !slices.Equal(ran, tc.middleware) {
			t.Errorf("%s: middleware ran %v, want %v", name, ran, tc.middleware)
		}
		if tc.status == 404 || tc.status == 405 {
			var p framework.Problem
			if ct := rec.Header().Get("Content-Type"); ct != framework.ProblemContentType {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status || p.RequestID == "" {
				t.Errorf("%s: problem %+v (%v)", name, p, err)
			}
		}
		if tc.allow != nil {
			got := strings.Split(rec.Header().Get("Allow"), ", ")
			slices.Sort(got)
			if !slices.Equal(got, tc.allow) {
				t.Errorf("%s: Allow %v, want %v", name, got, tc.allow)
			}
		}
	}
}

// TestRoutesUnderBasePath checks that the ServeMux's own redirects of a
// request served under a base path stay under it, and that a handler's
// own redirect is left as written.
func TestRoutesUnderBasePath(t *testing.T) {
	t.Parallel()
	app := quietApp(t)
	app.WrapRouter(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/t/acme"); ok {
				r = r.Clone(framework.WithBasePath(r.Context(), "/t/acme"))
				r.URL.Path = rest
			}
			next.ServeHTTP(w, r)
		})
	})
	app.Router().Handle("/admin/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere/", http.StatusMovedPermanently) // the handler's own: kept
	}))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	app.Router().Handle("GET /files/", ok)
	app.Router().Handle("/u/{name}/", ok)
	app.Router().Handle("GET /x/{$}", ok)
	app.Router().Handle("/café/", ok)
	h := app.Handler()
	for _, tc := range []struct{ path, location string }{
		{"/t/acme/admin", "/t/acme/admin/"},
		{"/t/acme/admin?x=1", "/t/acme/admin/?x=1"},
		{"/t/acme/admin/../admin/x", "/t/acme/admin/x"},
		{"/admin", "/admin/"}, // no base path
		{"/t/acme/admin/x", "/elsewhere/"},
		{"/t/acme/files", "/t/acme/files/"},         // a pattern with a method
		{"/t/acme/u/bob", "/t/acme/u/bob/"},         // a wildcard
		{"/t/acme/x", "/t/acme/x/"},                 // {$}
		{"/t/acme/caf%C3%A9", "/t/acme/caf%C3%A9/"}, // an escaped path
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if got := rec.Header().Get("Location"); rec.Code/100 != 3 || got != tc.location {
			t.Errorf("GET %s: %d to %q, want a redirect to %q", tc.path, rec.Code, got, tc.location)
		}
	}
}

// quietApp is an App on an in-memory SQLite database that logs nothing.
func quietApp(t *testing.T) *framework.App {
	app, err := framework.New(context.Background(), framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}
