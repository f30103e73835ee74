package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

func init() { dialects.Register(Dialect{}) }

// Dialect is PostgreSQL. Reach it through dialects.ParseURL or
// dialects.Lookup("postgres"); its methods are described on
// dialects.Dialect.
type Dialect struct{}

var (
	_ dialects.Dialect  = Dialect{}
	_ dialects.Notifier = Dialect{}
)

// Name is "postgres".
func (Dialect) Name() dialects.Name { return dialects.Postgres }

// Schemes are postgres:// and postgresql://.
func (Dialect) Schemes() []string { return []string{"postgres", "postgresql"} }

// DriverName is pgx's database/sql driver.
func (Dialect) DriverName() string { return "pgx" }

// Capabilities: PostgreSQL can do everything Quarry asks.
func (Dialect) Capabilities() dialects.Capabilities {
	return dialects.Capabilities{Returning: true, Schemas: true, RowSecurity: true, TransactionalDDL: true, ListenNotify: true,
		ConcurrentWriters: true, ConcurrentIndexes: true, ServerDatabases: true, RenameDatabase: true,
		ExactDecimalCompare: true, OrderedEnumCompare: true, OrderedDatetimeCompare: true}
}

// FoldCase is LOWER, which folds by Unicode rules.
func (Dialect) FoldCase(expr string) string { return "LOWER(" + expr + ")" }

// QuoteIdent quotes with double quotes.
func (Dialect) QuoteIdent(name string) string { return kit.QuoteWith(name, '"') }

// Placeholder is $n.
func (Dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// GooseDialect is goose's postgres dialect.
func (Dialect) GooseDialect() database.Dialect { return database.DialectPostgres }

// Migrations are the framework's PostgreSQL migrations.
func (Dialect) Migrations() fs.FS { return kit.MigrationsDir(Migrations) }

// Queries returns the framework's queries over db.
func (Dialect) Queries(db queries.DBTX) queries.Querier { return New(db) }

// MigrationLocker is goose's table locker.
func (Dialect) MigrationLocker(*dialects.URL) (lock.Locker, error) {
	return lock.NewPostgresTableLocker(kit.TableLockerOptions()...)
}

// ParseURL checks a postgres:// URL with pgx; the DSN is the URL itself.
func (d Dialect) ParseURL(raw string) (*dialects.URL, error) {
	pu, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid URL: %s", dialects.ErrBadURL, kit.QuoteRedacted(raw), kit.URLProblem(err))
	}
	if pu.Opaque != "" {
		return nil, fmt.Errorf("%w: %s: want postgres://user:pass@host:5432/db", dialects.ErrBadURL, kit.QuoteRedacted(raw))
	}
	if _, err := pgx.ParseConfig(raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", dialects.ErrBadURL, kit.QuoteRedacted(raw), err)
	}
	return &dialects.URL{Dialect: d, Raw: raw, DSN: raw, Database: strings.TrimPrefix(pu.Path, "/")}, nil
}

// OpenPool opens a pool whose sessions run in UTC (unless the URL sets
// timezone), sized by kit.ServerPoolSize.
func (Dialect) OpenPool(u *dialects.URL) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(u.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", dialects.ErrBadURL, err)
	}
	// Sessions run in UTC unless the URL asks otherwise, as on MySQL.
	if _, set := cfg.RuntimeParams["timezone"]; !set {
		cfg.RuntimeParams["timezone"] = "UTC"
	}
	db := stdlib.OpenDB(*cfg)
	kit.SetPool(db, kit.ServerPoolSize(), 30*time.Minute)
	return db, nil
}

// TableNames lists the base tables of the current schema.
func (Dialect) TableNames(ctx context.Context, db queries.DBTX) ([]string, error) {
	return kit.QueryStrings(ctx, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
}

// ClassifyError is the package's ClassifyError.
func (Dialect) ClassifyError(err error) error { return ClassifyError(err) }
