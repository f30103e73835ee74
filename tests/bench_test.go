package tests

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/store"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// BenchmarkUserGetByID measures one primary-key lookup per dialect through
// the generated adapter, beside the same query written by hand with
// database/sql (the baseline): the difference is the adapter's cost.
func BenchmarkUserGetByID(b *testing.B) {
	for _, name := range dialects.All {
		db := dbtest.New(b, name)
		m, err := migrate.New(db.SQL, db.Parsed, migrate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Up(context.Background()); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		q := db.Dialect().Queries(db.SQL)
		id, err := q.UserCreate(ctx, store.UserCreateParams{Username: "bench", Data: "{}", IsActive: true})
		if err != nil {
			b.Fatal(err)
		}
		raw := "SELECT id, username, email, password_hash, is_active, is_staff, is_superuser, last_login, password_changed_at, created_at, data FROM quarry_users WHERE id = " + db.Dialect().Placeholder(1)
		b.Run(string(name)+"/baseline-database-sql", func(b *testing.B) {
			for b.Loop() {
				var u store.QuarryUser
				if err := db.SQL.QueryRowContext(ctx, raw, id).Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.IsActive,
					&u.IsStaff, &u.IsSuperuser, &u.LastLogin, &u.PasswordChangedAt, &u.CreatedAt, &u.Data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(name)+"/adapter", func(b *testing.B) {
			for b.Loop() {
				if _, err := q.UserGetByID(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandler measures a trivial handler behind a bare gorilla/mux
// router (the baseline) and behind the App's middleware chain (request id,
// access log to a discarding handler, recovery, database in context).
func BenchmarkHandler(b *testing.B) {
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	bare := mux.NewRouter()
	bare.HandleFunc("/ping", ok)
	app, err := framework.New(context.Background(), framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	app.Router().HandleFunc("/ping", ok)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"baseline-mux", bare}, {"framework", app.Handler()}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/ping", nil)
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
