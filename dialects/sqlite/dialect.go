package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
	gosqlite "modernc.org/sqlite"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// FoldFunc is a function every SQLite connection has: it folds text to
// lower case by Unicode rules (SQLite's own lower() folds ASCII only), so
// case-insensitive search matches "É" with "é" as on the other databases.
const FoldFunc = "quarry_fold"

// Dialect is SQLite. Reach it through dialects.ParseURL or
// dialects.Lookup("sqlite"); its methods are described on dialects.Dialect.
type Dialect struct{}

func init() {
	dialects.Register(Dialect{})
	err := gosqlite.RegisterDeterministicScalarFunction(FoldFunc, 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		case nil:
			return nil, nil
		default:
			return strings.ToLower(fmt.Sprint(v)), nil
		}
	})
	if err != nil {
		panic("sqlite: register " + FoldFunc + ": " + err.Error())
	}
}

var _ dialects.Dialect = Dialect{}

// Name is "sqlite".
func (Dialect) Name() dialects.Name { return dialects.SQLite }

// Schemes are sqlite: and sqlite3:.
func (Dialect) Schemes() []string { return []string{"sqlite", "sqlite3"} }

// DriverName is modernc.org/sqlite's.
func (Dialect) DriverName() string { return "sqlite" }

// Capabilities: RETURNING and transactional DDL; one writer at a time.
func (Dialect) Capabilities() dialects.Capabilities {
	return dialects.Capabilities{Returning: true, TransactionalDDL: true}
}

// FoldCase calls FoldFunc.
func (Dialect) FoldCase(expr string) string { return FoldFunc + "(" + expr + ")" }

// QuoteIdent quotes with double quotes.
func (Dialect) QuoteIdent(name string) string { return kit.QuoteWith(name, '"') }

// Placeholder is ?.
func (Dialect) Placeholder(int) string { return "?" }

// GooseDialect is goose's sqlite3 dialect.
func (Dialect) GooseDialect() database.Dialect { return database.DialectSQLite3 }

// Migrations are the framework's SQLite migrations.
func (Dialect) Migrations() fs.FS { return kit.MigrationsDir(Migrations) }

// Queries returns the framework's queries over db.
func (Dialect) Queries(db queries.DBTX) queries.Querier { return New(db) }

// MigrationLocker holds an exclusive lock on the file <db>.migrate.lock
// beside the database while migrations run, so concurrent `migrate up`
// processes on one host run one after the other; the kernel releases it if
// the process dies. An in-memory database is private to its process and
// needs no lock.
func (Dialect) MigrationLocker(u *dialects.URL) (lock.Locker, error) {
	if u.Memory {
		return noLocker{}, nil
	}
	return &fileLocker{path: u.Database + ".migrate.lock"}, nil
}

// sqliteDefaults are the connection settings Quarry applies unless the URL
// sets the same key: WAL for concurrent readers, a busy timeout so writers
// queue instead of failing, foreign keys enforced, times written in UTC in a
// format that scans back into time.Time (SQLite compares times as text, so
// every stored time must share one zone, the one CURRENT_TIMESTAMP uses),
// and IMMEDIATE write transactions so two writers never deadlock upgrading
// their locks.
var sqliteDefaults = []struct{ key, value string }{
	{"_pragma", "busy_timeout(10000)"},
	{"_pragma", "journal_mode(WAL)"},
	{"_pragma", "foreign_keys(1)"},
	{"_pragma", "synchronous(NORMAL)"},
	{"_time_format", "sqlite"},
	{"_timezone", "UTC"},
	{"_txlock", "immediate"},
}

// ParseURL reads sqlite:path, sqlite:///abs/path and sqlite::memory:,
// adding Quarry's defaults (sqliteDefaults) for what the URL does not set.
func (d Dialect) ParseURL(raw string) (*dialects.URL, error) {
	_, rest, _ := strings.Cut(raw, ":")
	rest = strings.TrimPrefix(rest, "//") // sqlite:///abs/path.db → /abs/path.db
	path, rawQuery, _ := strings.Cut(rest, "?")
	if path == "" {
		return nil, fmt.Errorf("%w: %q has no file path: want sqlite:./var/app.db or sqlite::memory:", dialects.ErrBadURL, raw)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: bad query string: %v", dialects.ErrBadURL, raw, err)
	}
	for key := range q {
		if !strings.HasPrefix(key, "_") && key != "mode" && key != "cache" && key != "vfs" {
			return nil, fmt.Errorf("%w: %q: unknown SQLite parameter %q (driver parameters start with _, e.g. _pragma=cache_size(-20000))", dialects.ErrBadURL, raw, key)
		}
	}
	set := map[string]bool{}
	for key, vals := range q {
		if key == "_pragma" {
			for _, v := range vals {
				name, _, _ := strings.Cut(v, "(")
				set["_pragma:"+strings.ToLower(strings.TrimSpace(name))] = true
			}
			continue
		}
		set[key] = true
	}
	for _, def := range sqliteDefaults {
		k := def.key
		if k == "_pragma" {
			name, _, _ := strings.Cut(def.value, "(")
			k += ":" + name
		}
		if !set[k] {
			q.Add(def.key, def.value)
		}
	}
	memory := path == ":memory:" || q.Get("mode") == "memory"
	return &dialects.URL{Dialect: d, Raw: raw, DSN: path + "?" + q.Encode(), Database: path, Memory: memory}, nil
}

// OpenPool creates the file's directory and opens a pool; an in-memory
// database keeps exactly one connection.
func (Dialect) OpenPool(u *dialects.URL) (*sql.DB, error) {
	if !u.Memory {
		if dir := filepath.Dir(u.Database); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create directory for SQLite database: %w", err)
			}
		}
	}
	db, err := sql.Open("sqlite", u.DSN)
	if err != nil {
		return nil, err
	}
	if u.Memory {
		// Every connection to :memory: is a new, empty database: keep exactly one.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, nil
	}
	kit.SetPool(db, max(4, runtime.NumCPU()), 0)
	return db, nil
}

// TableNames lists the tables without SQLite's internal ones.
func (Dialect) TableNames(ctx context.Context, db queries.DBTX) ([]string, error) {
	return kit.QueryStrings(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

// ClassifyError is the package's ClassifyError.
func (Dialect) ClassifyError(err error) error { return ClassifyError(err) }
