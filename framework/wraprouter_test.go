package framework_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/middleware"
)

// TestWrapRouter checks that a middleware given to WrapRouter runs before
// routing (it may rewrite the path), inside the request id, access log and
// recovery, and may replace the request's database.
func TestWrapRouter(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	app, err := framework.New(ctx, framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	other := &framework.Database{DB: app.DB(), Dialect: app.Database().Dialect}
	var order []string
	app.WrapRouter(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			order = append(order, "first")
			if middleware.RequestIDFrom(r.Context()) == "" {
				t.Error("no request id inside the wrapped middleware")
			}
			if rest, ok := strings.CutPrefix(r.URL.Path, "/t/acme"); ok {
				r2 := r.Clone(r.Context())
				r2.URL.Path = rest
				r = r2.WithContext(framework.WithDatabase(r2.Context(), other))
			}
			if r.URL.Path == "/boom" {
				panic("boom")
			}
			next.ServeHTTP(w, r)
		})
	}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			order = append(order, "second")
			next.ServeHTTP(w, r)
		})
	})
	app.Router().HandleFunc("/posts", func(w http.ResponseWriter, r *http.Request) {
		if framework.DatabaseFrom(r.Context()) != other {
			t.Error("the handler did not get the middleware's database")
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h := app.Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/t/acme/posts", nil))
	if rec.Code != http.StatusNoContent || rec.Header().Get("X-Request-Id") == "" {
		t.Fatalf("rewritten path: %d, request id %q", rec.Code, rec.Header().Get("X-Request-Id"))
	}
	if strings.Join(order, ",") != "first,second" {
		t.Fatalf("order %v", order)
	}
	if !strings.Contains(logs.String(), "path=/t/acme/posts") {
		t.Fatalf("the access log does not show the path as sent:\n%s", logs.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("a panic in the wrapped middleware: %d", rec.Code)
	}
}
