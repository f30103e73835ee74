package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quarry-go/quarry/dialects"
)

var _ dialects.Databases = Dialect{}

// maintenanceDatabase is the database initdb creates on every server for
// utilities to connect to.
const maintenanceDatabase = "postgres"

// CreateDatabase runs CREATE DATABASE, which copies template1 with the
// server's encoding and locale.
func (d Dialect) CreateDatabase(ctx context.Context, admin *sql.DB, name string) error {
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return err
	}
	_, err := admin.ExecContext(ctx, "CREATE DATABASE "+d.QuoteIdent(name))
	return ClassifyError(err)
}

// DropDatabase runs DROP DATABASE IF EXISTS … WITH (FORCE), which ends
// the sessions still connected to it (PostgreSQL 13 and later).
func (d Dialect) DropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return err
	}
	_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d.QuoteIdent(name)+" WITH (FORCE)")
	return ClassifyError(err)
}

// DatabaseExists looks name up in pg_database.
func (Dialect) DatabaseExists(ctx context.Context, admin *sql.DB, name string) (bool, error) {
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return false, err
	}
	var exists bool
	err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	return exists, ClassifyError(err)
}

// MaintenanceURL is u's server's database postgres.
func (Dialect) MaintenanceURL(u *dialects.URL) (*dialects.URL, error) {
	if u == nil || u.Dialect == nil || u.Dialect.Name() != dialects.Postgres {
		return nil, fmt.Errorf("%w: MaintenanceURL of PostgreSQL needs a postgres:// URL", dialects.ErrBadURL)
	}
	return u.WithDatabase(maintenanceDatabase)
}
