package dialects

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

	"github.com/quarry-go/quarry/dialects/sqlite"
	"github.com/quarry-go/quarry/queries"
)

type sqliteDialect struct{}

// SQLiteFoldFunc is a function every SQLite connection has: it folds text
// to lower case by Unicode rules (SQLite's own lower() folds ASCII only),
// so case-insensitive search matches "É" with "é" as on the other
// databases.
const SQLiteFoldFunc = "quarry_fold"

func init() {
	err := gosqlite.RegisterDeterministicScalarFunction(SQLiteFoldFunc, 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
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
		panic("dialects: register " + SQLiteFoldFunc + ": " + err.Error())
	}
}

var _ Dialect = sqliteDialect{}

func (sqliteDialect) Name() Name         { return SQLite }
func (sqliteDialect) DriverName() string { return "sqlite" }
func (sqliteDialect) Capabilities() Capabilities {
	return Capabilities{Returning: true, TransactionalDDL: true}
}
func (sqliteDialect) QuoteIdent(name string) string  { return quoteWith(name, '"') }
func (sqliteDialect) Placeholder(int) string         { return "?" }
func (sqliteDialect) GooseDialect() database.Dialect { return database.DialectSQLite3 }
func (sqliteDialect) Migrations() fs.FS              { return migrationsDir(sqlite.Migrations) }
func (sqliteDialect) Queries(db queries.DBTX) queries.Querier {
	return sqlite.New(db)
}

// MigrationLocker holds an exclusive lock on the file <db>.migrate.lock
// beside the database while migrations run, so concurrent `migrate up`
// processes on one host run one after the other; the kernel releases it if
// the process dies. An in-memory database is private to its process and
// needs no lock.
func (sqliteDialect) MigrationLocker(u *URL) (lock.Locker, error) {
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

func (d sqliteDialect) parse(raw string) (*URL, error) {
	_, rest, _ := strings.Cut(raw, ":")
	rest = strings.TrimPrefix(rest, "//") // sqlite:///abs/path.db → /abs/path.db
	path, rawQuery, _ := strings.Cut(rest, "?")
	if path == "" {
		return nil, fmt.Errorf("%w: %q has no file path: want sqlite:./var/app.db or sqlite::memory:", ErrBadURL, raw)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: bad query string: %v", ErrBadURL, raw, err)
	}
	for key := range q {
		if !strings.HasPrefix(key, "_") && key != "mode" && key != "cache" && key != "vfs" {
			return nil, fmt.Errorf("%w: %q: unknown SQLite parameter %q (driver parameters start with _, e.g. _pragma=cache_size(-20000))", ErrBadURL, raw, key)
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
	return &URL{Dialect: d, Raw: raw, DSN: path + "?" + q.Encode(), Database: path, Memory: memory}, nil
}

func (sqliteDialect) open(u *URL) (*sql.DB, error) {
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
	setPool(db, max(4, runtime.NumCPU()), 0)
	return db, nil
}

func (sqliteDialect) TableNames(ctx context.Context, db queries.DBTX) ([]string, error) {
	return queryStrings(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

func (sqliteDialect) ClassifyError(err error) error { return sqlite.ClassifyError(err) }
