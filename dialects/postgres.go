package dialects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/dialects/postgres"
	"github.com/quarry-go/quarry/framework/store"
)

type postgresDialect struct{}

var _ Dialect = postgresDialect{}

func (postgresDialect) Name() Name         { return Postgres }
func (postgresDialect) DriverName() string { return "pgx" }
func (postgresDialect) Capabilities() Capabilities {
	return Capabilities{Returning: true, SkipLocked: true, Schemas: true, TransactionalDDL: true,
		AdvisoryLocks: true, ListenNotify: true, ConcurrentWriters: true}
}
func (postgresDialect) QuoteIdent(name string) string  { return quoteWith(name, '"') }
func (postgresDialect) Placeholder(n int) string       { return "$" + strconv.Itoa(n) }
func (postgresDialect) GooseDialect() database.Dialect { return database.DialectPostgres }
func (postgresDialect) Migrations() fs.FS              { return migrationsDir(postgres.Migrations) }
func (postgresDialect) Queries(db store.DBTX) store.Querier {
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

func (postgresDialect) TableNames(ctx context.Context, db store.DBTX) ([]string, error) {
	return queryStrings(ctx, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
}

func (postgresDialect) ClassifyError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return classify(store.ErrNotFound, err)
	case !errors.As(err, &pgErr):
		return err
	}
	// https://www.postgresql.org/docs/current/errcodes-appendix.html
	switch pgErr.Code {
	case "23505":
		return classify(store.ErrUniqueViolation, err)
	case "23503":
		return classify(store.ErrForeignKeyViolation, err)
	case "23502":
		return classify(store.ErrNotNullViolation, err)
	case "23514":
		return classify(store.ErrCheckViolation, err)
	case "40001", "40P01":
		return classify(store.ErrConflict, err)
	case "22001":
		return classify(store.ErrTooLong, err)
	}
	return err
}
