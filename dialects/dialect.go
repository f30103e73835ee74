package dialects

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/queries"
)

// Name identifies a dialect. It is the canonical scheme of a DATABASE_URL.
type Name string

// The dialects Quarry supports.
const (
	Postgres Name = "postgres"
	MySQL    Name = "mysql"
	SQLite   Name = "sqlite"
)

// All lists every dialect, in the order tests and tools visit them.
var All = []Name{SQLite, Postgres, MySQL}

// Capabilities says what a database can do, so features choose a strategy
// without switching on the dialect name.
type Capabilities struct {
	// Returning: INSERT/UPDATE/DELETE … RETURNING. False on MySQL 8 (MariaDB
	// has it for INSERT and DELETE only, so the family is treated as lacking it).
	Returning bool
	// SkipLocked: SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL, MySQL 8, MariaDB 10.6+).
	SkipLocked bool
	// Schemas: named schemas inside one database (PostgreSQL).
	Schemas bool
	// TransactionalDDL: DDL inside a transaction is rolled back with it.
	TransactionalDDL bool
	// AdvisoryLocks: session-level named locks (pg_advisory_lock, GET_LOCK).
	AdvisoryLocks bool
	// ListenNotify: LISTEN/NOTIFY for low-latency wake-ups (PostgreSQL).
	ListenNotify bool
	// ConcurrentWriters: more than one connection can write at once. False on
	// SQLite, where writers queue behind one lock (busy_timeout waits).
	ConcurrentWriters bool
	// ConcurrentIndexes: CREATE/DROP INDEX CONCURRENTLY builds an index on a
	// live table without blocking writes (PostgreSQL).
	ConcurrentIndexes bool
}

// Dialect describes one database family. Get one with [Lookup] or from a
// parsed [URL]; the three implementations live beside this file.
type Dialect interface {
	// Name is the dialect's canonical name.
	Name() Name
	// DriverName is the database/sql driver registered for this dialect.
	DriverName() string
	// Capabilities reports what this database can do.
	Capabilities() Capabilities
	// QuoteIdent quotes an identifier (table or column name) for SQL text.
	QuoteIdent(name string) string
	// Placeholder returns the bind parameter marker for the n-th (1-based) argument.
	Placeholder(n int) string
	// GooseDialect is the goose dialect for migrations.
	GooseDialect() database.Dialect
	// MigrationLocker returns the locker that serialises concurrent
	// `migrate up` runs against the database at u.
	MigrationLocker(u *URL) (lock.Locker, error)
	// Migrations holds the framework's own goose migrations for this dialect.
	Migrations() fs.FS
	// Queries returns the framework's queries over db (a *sql.DB, *sql.Tx or *sql.Conn).
	Queries(db queries.DBTX) queries.Querier
	// TableNames lists the base tables of the database (PostgreSQL: of the
	// current schema), sorted, without SQLite's internal ones.
	TableNames(ctx context.Context, db queries.DBTX) ([]string, error)
	// ClassifyError wraps driver errors (no rows; unique, foreign key, not
	// null, check violations; deadlocks; too long values) so that errors.Is
	// matches the sentinels in package queries. Other errors, and errors
	// already classified, are returned unchanged. It is the dialect
	// package's own ClassifyError (dialects/postgres and so on), which the
	// generated adapters call on every error they return: it is for errors
	// that do not come from an adapter, such as hand-written SQL, BeginTx or
	// Commit.
	ClassifyError(err error) error

	// parse validates a URL of this dialect and fills in the driver DSN.
	parse(raw string) (*URL, error)
	// open opens and tunes a pool for u.
	open(u *URL) (*sql.DB, error)
}

// Handle is a database handle, a pool or a transaction, with the dialect
// it speaks: *framework.Database and *framework.Tx are handles. The
// dispatchers that quarry gen writes take one and pick the adapter of its
// dialect.
type Handle interface {
	// Handle returns what queries run on and the dialect they are written in.
	Handle() (queries.DBTX, Dialect)
}

// Lookup returns the dialect with the given name. It is the one place that
// chooses between dialects.
func Lookup(name Name) (Dialect, error) {
	switch name {
	case Postgres:
		return postgresDialect{}, nil
	case MySQL:
		return mysqlDialect{}, nil
	case SQLite:
		return sqliteDialect{}, nil
	}
	return nil, fmt.Errorf("%w %q (want one of postgres, mysql, sqlite)", ErrUnknownDialect, name)
}
