package framework

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/store"
)

// Database is a pool and the dialect it speaks. Handlers get the one that
// serves their request with [DatabaseFrom]; nothing keeps a package-level
// handle, so a tenant resolver can swap it per request.
type Database struct {
	DB      *sql.DB
	Dialect dialects.Dialect
}

// Queries returns the framework's queries over the pool.
func (d *Database) Queries() store.Querier { return d.Dialect.Queries(d.DB) }

type databaseKey struct{}

// WithDatabase returns a context carrying d.
func WithDatabase(ctx context.Context, d *Database) context.Context {
	return context.WithValue(ctx, databaseKey{}, d)
}

// DatabaseFrom returns the database stored in ctx, or nil.
func DatabaseFrom(ctx context.Context) *Database {
	d, _ := ctx.Value(databaseKey{}).(*Database)
	return d
}

// databaseMiddleware puts d into every request's context.
func databaseMiddleware(d *Database) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(WithDatabase(r.Context(), d)))
		})
	}
}
