package dialects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

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

// Capabilities says what a database can do, so features choose a strategy
// without switching on the dialect name.
type Capabilities struct {
	// Returning: INSERT/UPDATE/DELETE … RETURNING. False on MySQL 8 (MariaDB
	// has it for INSERT and DELETE only, so the family is treated as lacking it).
	Returning bool
	// Schemas: a database holds named schemas, each a namespace of tables
	// of its own that the connection's search path chooses between, so
	// that tenants can share one database a schema each (PostgreSQL; the
	// tenant registry's schema mode asks it). False on MySQL, whose
	// schemas are its databases, and on SQLite.
	Schemas bool
	// RowSecurity: row-level security policies (CREATE POLICY, ENABLE and
	// FORCE ROW LEVEL SECURITY), roles a session can SET ROLE to, and
	// custom settings (quarry.tenant_id) a policy reads with
	// current_setting (PostgreSQL; the tenant registry's RLS mode asks it).
	RowSecurity bool
	// TransactionalDDL: DDL inside a transaction is rolled back with it.
	TransactionalDDL bool
	// ListenNotify: LISTEN/NOTIFY for low-latency wake-ups (PostgreSQL).
	ListenNotify bool
	// ConcurrentWriters: more than one connection can write at once. False on
	// SQLite, where writers queue behind one lock (busy_timeout waits): there
	// a transaction, which Quarry begins IMMEDIATE, already excludes the
	// other writers, and SELECT … FOR UPDATE, which locks rows against them
	// elsewhere, does not parse.
	ConcurrentWriters bool
	// ConcurrentIndexes: CREATE/DROP INDEX CONCURRENTLY builds an index on a
	// live table without blocking writes (PostgreSQL).
	ConcurrentIndexes bool
	// ServerDatabases: the database is one of the named databases of a
	// server, which CREATE DATABASE adds to, so the server can hold
	// scratch databases beside it and URL.WithDatabase names them
	// (PostgreSQL, MySQL). False on SQLite, whose database is a file or
	// in memory.
	ServerDatabases bool
	// RenameDatabase: Databases.RenameDatabase renames a server's database
	// (PostgreSQL). False on MySQL and MariaDB, which have no statement
	// for it, and on SQLite, whose database is a file (rename the file).
	RenameDatabase bool
	// ExactDecimalCompare: a DECIMAL column compares exactly with a decimal
	// bound as text, in the order ORDER BY sorts it (PostgreSQL). False on
	// MySQL, which compares them as doubles unless the parameter is cast
	// (Fragments.BindDecimal), and on SQLite, which stores decimals as
	// floating point.
	ExactDecimalCompare bool
	// OrderedEnumCompare: an enum column compares with a label bound as
	// text in the order ORDER BY sorts it (PostgreSQL: both by the labels'
	// declaration order). False on MySQL, which sorts an ENUM by position
	// but compares it with text as text; SQLite has no enum type.
	OrderedEnumCompare bool
	// OrderedDatetimeCompare: a datetime column compares with a time bound
	// as a parameter in the order ORDER BY sorts it, whatever form each
	// value was written in (PostgreSQL, MySQL). False on SQLite, which
	// keeps a datetime as the text or number it was written as, so values
	// written in different forms compare and sort as text.
	OrderedDatetimeCompare bool
}

// Dialect describes one database family. Get one with [Lookup] or from a
// parsed [URL]; each implementation lives in its own package
// (dialects/postgres, dialects/mysql, dialects/sqlite) and registers itself.
type Dialect interface {
	Fragments
	SchemaTools
	Catalog
	Databases

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

	// Schemes are the URL schemes that name this dialect, lower case, the
	// canonical one (Name) first.
	Schemes() []string
	// ParseURL validates a URL of this dialect and fills in the driver DSN.
	// Callers use the package's ParseURL, which picks the dialect by scheme.
	ParseURL(raw string) (*URL, error)
	// OpenPool opens and tunes a pool for u without connecting. Callers use
	// the package's OpenURL, which also pings.
	OpenPool(u *URL) (*sql.DB, error)
}

// Notifier is implemented by dialects with LISTEN/NOTIFY
// (Capabilities.ListenNotify); use it through [Notify] and [Listen].
type Notifier interface {
	// Notify sends payload on channel. Inside a transaction the
	// notification is delivered when it commits, and not at all when it
	// rolls back.
	Notify(ctx context.Context, db queries.DBTX, channel, payload string) error
	// Listen holds one connection of db, LISTENs on channel and calls fn
	// with each notification's payload until ctx ends or the connection
	// fails. It returns ctx's error, or the connection's. listening, when
	// not nil, is called once the LISTEN is in place (what was sent before
	// it is missed).
	Listen(ctx context.Context, db *sql.DB, channel string, listening func(), fn func(payload string)) error
}

// ErrNoNotify is returned by [Notify] and [Listen] on a database without
// LISTEN/NOTIFY (Capabilities.ListenNotify is false).
var ErrNoNotify = errors.New("dialects: this database has no LISTEN/NOTIFY")

// Notify sends payload on channel through d's LISTEN/NOTIFY, or returns
// ErrNoNotify.
func Notify(ctx context.Context, db queries.DBTX, d Dialect, channel, payload string) error {
	n, ok := d.(Notifier)
	if !ok || !d.Capabilities().ListenNotify {
		return ErrNoNotify
	}
	return n.Notify(ctx, db, channel, payload)
}

// Listen listens on channel through d's LISTEN/NOTIFY (see
// Notifier.Listen), or returns ErrNoNotify.
func Listen(ctx context.Context, db *sql.DB, d Dialect, channel string, listening func(), fn func(payload string)) error {
	n, ok := d.(Notifier)
	if !ok || !d.Capabilities().ListenNotify {
		return ErrNoNotify
	}
	return n.Listen(ctx, db, channel, listening, fn)
}

// Handle is a database handle, a pool or a transaction, with the dialect
// it speaks: *framework.Database and *framework.Tx are handles. The
// dispatchers that quarry gen writes take one and pick the adapter of its
// dialect.
type Handle interface {
	// Handle returns what queries run on and the dialect they are written in.
	Handle() (queries.DBTX, Dialect)
}

var (
	registryMu sync.RWMutex
	registry   = map[Name]Dialect{}
	schemes    = map[string]Dialect{}
)

// Register makes a dialect available by name and by its URL schemes. Each
// dialect package registers itself in its init; package dialects/all links
// the ones Quarry ships. Register panics on a second dialect with the same
// name or scheme, as sql.Register does.
func Register(d Dialect) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[d.Name()]; dup {
		panic("dialects: Register called twice for " + string(d.Name()))
	}
	for _, s := range d.Schemes() {
		if _, dup := schemes[s]; dup {
			panic("dialects: URL scheme " + s + " registered twice")
		}
	}
	registry[d.Name()] = d
	for _, s := range d.Schemes() {
		schemes[s] = d
	}
}

// Lookup returns the registered dialect with the given name.
func Lookup(name Name) (Dialect, error) {
	registryMu.RLock()
	d, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownDialect, name, strings.Join(nameList(), ", "))
	}
	return d, nil
}

// All lists the registered dialects' names, sorted.
func All() []Name {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Name, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func nameList() []string {
	var out []string
	for _, n := range All() {
		out = append(out, string(n))
	}
	if len(out) == 0 {
		return []string{"none registered: import github.com/quarry-go/quarry/dialects/all"}
	}
	return out
}

// schemeList is the registered schemes, for error messages.
func schemeList() string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []string
	for s, d := range schemes {
		if d.Schemes()[0] == s {
			out = append(out, s+":")
		}
	}
	if len(out) == 0 {
		return "none registered: import github.com/quarry-go/quarry/dialects/all"
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func lookupScheme(scheme string) (Dialect, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	d, ok := schemes[scheme]
	return d, ok
}
