package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/queries"
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

// RenameDatabase ends the other sessions connected to from, then runs
// ALTER DATABASE … RENAME TO, which PostgreSQL refuses while any remain
// (and on the database the connection is in); a session that connects in
// between is ended and the rename tried again, a few times.
func (d Dialect) RenameDatabase(ctx context.Context, admin *sql.DB, from, to string) error {
	if err := dialects.ValidateDatabaseName(from); err != nil {
		return err
	}
	if err := dialects.ValidateDatabaseName(to); err != nil {
		return err
	}
	conn, err := admin.Conn(ctx)
	if err != nil {
		return ClassifyError(err)
	}
	defer conn.Close()
	for attempt := 0; ; attempt++ {
		if _, err := conn.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, from); err != nil {
			return ClassifyError(err)
		}
		_, err = conn.ExecContext(ctx, "ALTER DATABASE "+d.QuoteIdent(from)+" RENAME TO "+d.QuoteIdent(to))
		if err == nil || attempt == 4 || !strings.Contains(err.Error(), "being accessed by other users") {
			return ClassifyError(err)
		}
	}
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

// DatabaseSize is pg_database_size of the current database.
func (Dialect) DatabaseSize(ctx context.Context, db queries.DBTX) (int64, error) {
	return querySize(ctx, db, "SELECT pg_database_size(current_database())")
}

// SchemaSize sums pg_total_relation_size (TOAST and indexes included)
// over the tables and materialized views of the current schema.
func (Dialect) SchemaSize(ctx context.Context, db queries.DBTX) (int64, error) {
	return querySize(ctx, db, "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm', 'p')")
}

func querySize(ctx context.Context, db queries.DBTX, q string) (int64, error) {
	var n int64
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: size: %w", ClassifyError(err))
	}
	return n, nil
}
