package tenancy

import (
	"context"
	"net/http"

	"github.com/quarry-go/quarry/framework"
)

// sharedKey is the context key of a tenant request's shared side.
type sharedKey struct{}

// shared is what Middleware keeps of the main side in a tenant request.
type shared struct {
	db     *framework.Database // the request's database before the swap
	tables []string            // Options.SharedTables
}

// Shared returns the main database, which holds the app's shared tables
// (those declared in Options.SharedTables): in a tenant request, the
// database the request had before Middleware swapped in the tenant's
// (the App's); in a tenant's job run by Workers, WorkerOptions.Main when
// set; elsewhere (the apex, a request not served through Middleware, a
// job of Workers without Main), the context's database,
// framework.DatabaseFrom(ctx). It is nil only when ctx has no database at
// all. Run the app's typed queries on it as on any database, e.g.
// blogdb.Queries(tenancy.Shared(ctx)).
func Shared(ctx context.Context) *framework.Database {
	if s, _ := ctx.Value(sharedKey{}).(*shared); s != nil && s.db != nil {
		return s.db
	}
	return framework.DatabaseFrom(ctx)
}

// SharedTables returns the shared tables declared in Options.SharedTables
// when ctx is a tenant request's (WorkerOptions.SharedTables when it is a
// tenant's job run by Workers with Main), else nil (on the apex the shared
// tables are the request database's own). The caller must not modify the
// slice.
func SharedTables(ctx context.Context) []string {
	if s, _ := ctx.Value(sharedKey{}).(*shared); s != nil {
		return s.tables
	}
	return nil
}

// HideSharedTables is an admin.Options.ExcludeTablesFor that leaves the
// shared tables (Options.SharedTables) out of a tenant's admin: their
// copies in the tenant's database are empty and unused, and the rows
// that count are in the main database, managed in the apex's admin, where
// they stay listed.
func HideSharedTables(r *http.Request) []string { return SharedTables(r.Context()) }
