package dialects

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

	"github.com/quarry-go/quarry/dialects/postgres"
	"github.com/quarry-go/quarry/queries"
)

type postgresDialect struct{}

var _ Dialect = postgresDialect{}

func (postgresDialect) Name() Name         { return Postgres }
func (postgresDialect) DriverName() string { return "pgx" }
func (postgresDialect) Capabilities() Capabilities {
	return Capabilities{Returning: true, SkipLocked: true, Schemas: true, TransactionalDDL: true,
		AdvisoryLocks: true, ListenNotify: true, ConcurrentWriters: true, ConcurrentIndexes: true}
}
func (postgresDialect) QuoteIdent(name string) string  { return quoteWith(name, '"') }
func (postgresDialect) Placeholder(n int) string       { return "$" + strconv.Itoa(n) }
func (postgresDialect) GooseDialect() database.Dialect { return database.DialectPostgres }
func (postgresDialect) Migrations() fs.FS              { return migrationsDir(postgres.Migrations) }
func (postgresDialect) Queries(db queries.DBTX) queries.Querier {
	return postgres.New(db)
}

func (postgresDialect) MigrationLocker(*URL) (lock.Locker, error) {
	return lock.NewPostgresTableLocker(tableLockerOptions()...)
}

func (d postgresDialect) parse(raw string) (*URL, error) {
	pu, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid URL: %s", ErrBadURL, quoteRedacted(raw), urlProblem(err))
	}
	if pu.Opaque != "" {
		return nil, fmt.Errorf("%w: %s: want postgres://user:pass@host:5432/db", ErrBadURL, quoteRedacted(raw))
	}
	if _, err := pgx.ParseConfig(raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadURL, quoteRedacted(raw), err)
	}
	return &URL{Dialect: d, Raw: raw, DSN: raw, Database: strings.TrimPrefix(pu.Path, "/")}, nil
}

func (postgresDialect) open(u *URL) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(u.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	// Sessions run in UTC unless the URL asks otherwise, as on MySQL.
	if _, set := cfg.RuntimeParams["timezone"]; !set {
		cfg.RuntimeParams["timezone"] = "UTC"
	}
	db := stdlib.OpenDB(*cfg)
	setPool(db, serverPoolSize(), 30*time.Minute)
	return db, nil
}

func (postgresDialect) TableNames(ctx context.Context, db queries.DBTX) ([]string, error) {
	return queryStrings(ctx, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
}

func (postgresDialect) ClassifyError(err error) error { return postgres.ClassifyError(err) }
