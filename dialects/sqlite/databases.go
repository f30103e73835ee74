package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/queries"
)

var _ dialects.Databases = Dialect{}

// errNoServer is what every Databases method answers: a SQLite database
// is a file (Capabilities.ServerDatabases is false).
var errNoServer = fmt.Errorf("%w: a SQLite database is a file, created by opening it and dropped by removing it", dialects.ErrNoServerDatabases)

// CreateDatabase refuses: see errNoServer.
func (Dialect) CreateDatabase(context.Context, *sql.DB, string) error { return errNoServer }

// DropDatabase refuses: see errNoServer.
func (Dialect) DropDatabase(context.Context, *sql.DB, string) error { return errNoServer }

// RenameDatabase refuses (ErrUnsupported and ErrNoServerDatabases): rename
// the file instead.
func (Dialect) RenameDatabase(context.Context, *sql.DB, string, string) error {
	return fmt.Errorf("%w: %w", dialects.ErrUnsupported, errNoServer)
}

// DatabaseExists refuses: see errNoServer.
func (Dialect) DatabaseExists(context.Context, *sql.DB, string) (bool, error) {
	return false, errNoServer
}

// MaintenanceURL refuses: see errNoServer.
func (Dialect) MaintenanceURL(*dialects.URL) (*dialects.URL, error) { return nil, errNoServer }

// DatabaseSize is the file's page count times its page size.
func (Dialect) DatabaseSize(ctx context.Context, db queries.DBTX) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: size: %w", ClassifyError(err))
	}
	return n, nil
}
