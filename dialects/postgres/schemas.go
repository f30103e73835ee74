package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/dialects"
)

var _ dialects.Schemas = Dialect{}

// CreateSchema runs CREATE SCHEMA, owned by the connection's user.
func (d Dialect) CreateSchema(ctx context.Context, db *sql.DB, name string) error {
	if err := dialects.ValidateSchemaName(name); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, "CREATE SCHEMA "+d.QuoteIdent(name))
	return ClassifyError(err)
}

// DropSchema runs DROP SCHEMA IF EXISTS … CASCADE.
func (d Dialect) DropSchema(ctx context.Context, db *sql.DB, name string) error {
	if err := dialects.ValidateSchemaName(name); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+d.QuoteIdent(name)+" CASCADE")
	return ClassifyError(err)
}

// RenameSchema runs ALTER SCHEMA … RENAME TO.
func (d Dialect) RenameSchema(ctx context.Context, db *sql.DB, from, to string) error {
	if err := dialects.ValidateSchemaName(from); err != nil {
		return err
	}
	if err := dialects.ValidateSchemaName(to); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, "ALTER SCHEMA "+d.QuoteIdent(from)+" RENAME TO "+d.QuoteIdent(to))
	return ClassifyError(err)
}

// SchemaExists looks name up in pg_namespace.
func (Dialect) SchemaExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	if err := dialects.ValidateSchemaName(name); err != nil {
		return false, err
	}
	var exists bool
	err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&exists)
	return exists, ClassifyError(err)
}

// SchemaURL sets the URL's search_path parameter, which pgx sends in the
// startup message (so it is the session's default, which RESET and
// DISCARD ALL return to), to the quoted name alone: not "$user", not
// public.
func (d Dialect) SchemaURL(u *dialects.URL, name string) (*dialects.URL, error) {
	if u == nil || u.Dialect == nil || u.Dialect.Name() != dialects.Postgres {
		return nil, fmt.Errorf("%w: SchemaURL of PostgreSQL needs a postgres:// URL", dialects.ErrBadURL)
	}
	if err := dialects.ValidateSchemaName(name); err != nil {
		return nil, err
	}
	pu, err := url.Parse(u.Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", dialects.ErrBadURL, u)
	}
	q := pu.Query()
	if strings.Contains(strings.ToLower(q.Get("options")), "search_path") {
		return nil, fmt.Errorf("%w: %s sets search_path in its options parameter, which would override the schema's", dialects.ErrBadURL, u)
	}
	// The value is parsed as a list of identifiers: the quoted name is
	// that one schema, whatever its case.
	q.Set("search_path", d.QuoteIdent(name))
	pu.RawQuery = q.Encode()
	return dialects.ParseURL(pu.String())
}
