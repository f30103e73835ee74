// Package dbtest is the cross-dialect test harness: it runs one test body on
// SQLite, PostgreSQL and MySQL/MariaDB, each in a database of its own that
// is dropped when the test ends.
//
// SQLite always runs (a file in the test's temp directory). The server
// dialects use the servers named by QUARRY_TEST_POSTGRES_URL and
// QUARRY_TEST_MYSQL_URL (any database on the server; the harness creates
// its own beside it). When one is unset its leg is skipped with a message
// naming the variable, unless QUARRY_TEST_REQUIRE_ALL=1, which turns a
// missing or unreachable server into a failure (as in `make test` and CI).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	_ "github.com/quarry-go/quarry/dialects/all"
	"github.com/quarry-go/quarry/framework"
)

// Environment variables read by the harness.
const (
	EnvPostgres   = "QUARRY_TEST_POSTGRES_URL"
	EnvMySQL      = "QUARRY_TEST_MYSQL_URL"
	EnvRequireAll = "QUARRY_TEST_REQUIRE_ALL"
)

// DB is an isolated, empty database of one dialect.
type DB struct {
	Name dialects.Name
	// URL is the DATABASE_URL of this database, for code (or a child
	// process) that opens its own pool.
	URL string
	// Parsed is URL, parsed.
	Parsed *dialects.URL
	// SQL is an open pool on it, closed at cleanup.
	SQL *sql.DB
}

// Dialect returns the database's dialect.
func (d *DB) Dialect() dialects.Dialect { return d.Parsed.Dialect }

// Database returns the framework's handle on the pool, with its URL: what
// the features' constructors take.
func (d *DB) Database() *framework.Database {
	return &framework.Database{DB: d.SQL, Dialect: d.Dialect(), URL: d.Parsed}
}

// Each runs fn once per dialect as parallel subtests named after the
// dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, name))
		})
	}
}

// New creates an isolated database of the given dialect, or skips (fails
// under QUARRY_TEST_REQUIRE_ALL=1) when its server is not configured.
func New(t testing.TB, name dialects.Name) *DB {
	t.Helper()
	raw := NewURL(t, name)
	u, err := dialects.ParseURL(raw)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := dialects.OpenURL(ctx, u)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &DB{Name: name, URL: raw, Parsed: u, SQL: db}
}

// NewURL creates an isolated database and returns its URL without opening
// a pool, for tests that hand the URL to a program.
func NewURL(t testing.TB, name dialects.Name) string {
	t.Helper()
	switch name {
	case dialects.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case dialects.Postgres:
		return serverDatabase(t, name, EnvPostgres)
	case dialects.MySQL:
		return serverDatabase(t, name, EnvMySQL)
	}
	t.Fatalf("dbtest: unknown dialect %q", name)
	return ""
}

// serverDatabase creates a uniquely named database on the server at $env
// (Dialect.CreateDatabase) and drops it at cleanup (DropDatabase).
func serverDatabase(t testing.TB, name dialects.Name, env string) string {
	t.Helper()
	base := os.Getenv(env)
	if base == "" {
		if os.Getenv(EnvRequireAll) == "1" {
			t.Fatalf("dbtest: %s is not set and %s=1: every dialect must run", env, EnvRequireAll)
		}
		t.Skipf("dbtest: %s not set; set it (e.g. to the local server) to run the %s leg", env, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, u, err := dialects.Open(ctx, base)
	if err != nil {
		t.Fatalf("dbtest: %s server from %s: %v", name, env, err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	dbName := "quarry_t_" + hex.EncodeToString(b[:])
	if err := u.Dialect.CreateDatabase(ctx, admin, dbName); err != nil {
		t.Fatalf("dbtest: create %s database: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, _, err := dialects.Open(ctx, base)
		if err != nil {
			t.Errorf("dbtest: drop %s: %v", dbName, err)
			return
		}
		defer admin.Close()
		if err := u.Dialect.DropDatabase(ctx, admin, dbName); err != nil {
			t.Errorf("dbtest: drop %s: %v", dbName, err)
		}
	})
	scratch, err := u.WithDatabase(dbName)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return scratch.Raw
}
