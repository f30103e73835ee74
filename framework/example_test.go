package framework_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
)

// Example builds an app on an in-memory SQLite database, applies the
// framework's migrations, mounts a handler that reads the database from the
// request, and calls it. A real main calls app.Run(ctx) instead.
func Example() {
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvDev},
		framework.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	defer app.Close()

	m, err := migrate.New(app.Database(), migrate.Options{})
	if err != nil {
		panic(err)
	}
	if _, err := m.Up(ctx); err != nil {
		panic(err)
	}

	app.Router().HandleFunc("GET /users/count", func(w http.ResponseWriter, r *http.Request) {
		n, err := framework.DatabaseFrom(r.Context()).Queries().UserCount(r.Context())
		if err != nil {
			framework.WriteError(w, r, http.StatusInternalServerError, "internal error")
			return
		}
		framework.WriteJSON(w, http.StatusOK, map[string]int64{"users": n})
	})

	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/users/count", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 200 {"users":0}
}
