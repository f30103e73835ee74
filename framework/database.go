package framework

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/quarry-go/quarry/dialects"
	_ "github.com/quarry-go/quarry/dialects/all" // the App opens any DATABASE_URL Quarry supports
	"github.com/quarry-go/quarry/queries"
)

// Database is a pool and the dialect it speaks: the one database handle
// that the framework's features (auth, session, jobs, migrate) are built
// on. Handlers get the one that serves their request with [DatabaseFrom];
// nothing keeps a package-level handle, so a tenant resolver can swap it
// per request. Open one with [OpenDatabase], or build it by hand around a
// pool of your own.
type Database struct {
	DB      *sql.DB
	Dialect dialects.Dialect
	// URL is the URL the database was opened from (by OpenDatabase or the
	// App), nil when the Database was built by hand. The migrator needs it
	// (see migrate.New).
	URL *dialects.URL
}

// OpenDatabase parses rawURL (see dialects.ParseURL), opens a tuned pool
// for it and checks that the database answers. The caller closes the
// pool (d.DB.Close).
func OpenDatabase(ctx context.Context, rawURL string) (*Database, error) {
	u, err := dialects.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return openDatabase(ctx, u)
}

// openDatabase opens the pool of an already parsed URL.
func openDatabase(ctx context.Context, u *dialects.URL) (*Database, error) {
	db, err := dialects.OpenURL(ctx, u)
	if err != nil {
		return nil, err
	}
	return &Database{DB: db, Dialect: u.Dialect, URL: u}, nil
}

// Handle returns the pool and its dialect, for the dispatchers quarry gen
// writes (dialects.Handle).
func (d *Database) Handle() (queries.DBTX, dialects.Dialect) { return d.DB, d.Dialect }

// Queries returns the framework's queries over the pool.
func (d *Database) Queries() queries.Querier { return d.Dialect.Queries(d.DB) }

// Tx is a transaction of a Database: the same dialect, the same typed
// queries, inside the transaction.
type Tx struct {
	Tx      *sql.Tx
	Dialect dialects.Dialect
}

// Handle returns the transaction and its dialect, for the dispatchers quarry
// gen writes (dialects.Handle).
func (t *Tx) Handle() (queries.DBTX, dialects.Dialect) { return t.Tx, t.Dialect }

var (
	_ dialects.Handle = (*Database)(nil)
	_ dialects.Handle = (*Tx)(nil)
)

// Queries returns the framework's queries inside the transaction.
func (t *Tx) Queries() queries.Querier { return t.Dialect.Queries(t.Tx) }

// TxAttempts is how many times InTx runs a transaction that keeps losing
// a deadlock, a serialization failure or SQLite's write lock.
const TxAttempts = 4

// InTx runs fn in a transaction begun with opts (nil for the defaults):
// committed when fn returns nil, rolled back when it returns an error or
// panics. A transaction that loses a deadlock, a serialization failure or
// SQLite's busy lock (queries.ErrConflict) is run again from the start, up
// to TxAttempts times with a short growing pause, so fn must only do
// database work that can be repeated. The error returned is classified:
// errors.Is matches the sentinels of package queries.
func (d *Database) InTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = d.Dialect.ClassifyError(d.runTx(ctx, opts, fn))
		if err == nil || !errors.Is(err, queries.ErrConflict) || attempt == TxAttempts {
			return err
		}
		pause := time.Duration(attempt*attempt) * 5 * time.Millisecond
		pause += rand.N(pause) // jitter, so that the losers do not meet again
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (d *Database) runTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) (err error) {
	tx, err := d.DB.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(&Tx{Tx: tx, Dialect: d.Dialect}); err != nil {
		return err
	}
	return tx.Commit()
}

type databaseKey struct{}

// WithDatabase returns a context carrying d.
func WithDatabase(ctx context.Context, d *Database) context.Context {
	return context.WithValue(ctx, databaseKey{}, d)
}

// DatabaseFrom returns the database stored in ctx, or nil.
func DatabaseFrom(ctx context.Context) *Database {
	d, _ := ctx.Value(databaseKey{}).(*Database)
	return d
}
