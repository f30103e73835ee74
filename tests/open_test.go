package tests

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestOpenSettings checks the connection settings Open applies per dialect.
func TestOpenSettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		one := func(query string) string {
			t.Helper()
			var v string
			if err := db.SQL.QueryRowContext(ctx, query).Scan(&v); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return v
		}
		switch db.Name {
		case dialects.SQLite:
			for query, want := range map[string]string{
				"PRAGMA journal_mode": "wal",
				"PRAGMA foreign_keys": "1",
				"PRAGMA busy_timeout": "10000",
			} {
				if got := one(query); got != want {
					t.Errorf("%s = %s; want %s", query, got, want)
				}
			}
		case dialects.MySQL:
			if got := one("SELECT @@session.time_zone"); got != "+00:00" {
				t.Errorf("session time_zone = %s; want +00:00", got)
			}
			if got := one("SELECT @@character_set_connection"); got != "utf8mb4" {
				t.Errorf("character_set_connection = %s; want utf8mb4", got)
			}
		case dialects.Postgres:
			if got := one("SHOW TimeZone"); got != "UTC" {
				t.Errorf("session TimeZone = %s; want UTC", got)
			}
		}
		wantPool := min(20, max(8, 4*runtime.NumCPU()))
		if db.Name == dialects.SQLite {
			wantPool = max(4, runtime.NumCPU())
		}
		if got := db.SQL.Stats().MaxOpenConnections; got != wantPool {
			t.Errorf("MaxOpenConnections = %d; want %d", got, wantPool)
		}

		// A timestamp column scans into time.Time and round-trips in UTC.
		typ := map[dialects.Name]string{dialects.SQLite: "DATETIME", dialects.Postgres: "TIMESTAMPTZ", dialects.MySQL: "DATETIME(6)"}[db.Name]
		if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE t_time (at "+typ+" NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		want := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		q := "INSERT INTO t_time (at) VALUES (" + db.Dialect().Placeholder(1) + ")"
		if _, err := db.SQL.ExecContext(ctx, q, want); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := db.SQL.QueryRowContext(ctx, "SELECT at FROM t_time").Scan(&got); err != nil {
			t.Fatalf("scan timestamp into time.Time: %v", err)
		}
		if !got.Equal(want) {
			t.Errorf("time round trip: got %v; want %v", got, want)
		}
		// Identifiers quoted by the dialect are accepted by the server.
		weird := db.Dialect().QuoteIdent(`odd "name` + "`")
		if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE "+weird+" (id INTEGER)"); err != nil {
			t.Errorf("quoted identifier rejected: %v", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for raw, want := range map[string]string{
		"postgres://nobody@127.0.0.1:1/none?connect_timeout=2": "connect to postgres://nobody@127.0.0.1:1/none",
		"mysql://nobody:pw@127.0.0.1:1/none?timeout=2s":        "connect to mysql://nobody:xxxxx@127.0.0.1:1/none",
		"sqlite:/proc/no/such/dir/x.db":                        "create directory for SQLite database",
	} {
		_, _, err := dialects.Open(ctx, raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v; want an error containing %q", raw, err, want)
		}
	}
}

// TestSQLiteMemory checks that an in-memory database keeps its data across
// uses of the pool (one connection, never recycled).
func TestSQLiteMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, u, err := dialects.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !u.Memory || db.Stats().MaxOpenConnections != 1 {
		t.Fatalf("memory %v, max open %d", u.Memory, db.Stats().MaxOpenConnections)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE x (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := db.ExecContext(ctx, "INSERT INTO x VALUES (1)"); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM x").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count = %d, %v", n, err)
	}
}

// TestOpenDatabaseBadInput: framework.OpenDatabase refuses malformed and
// unknown URLs with the dialects sentinels and never echoes a password,
// and migrate.New refuses a handle that carries no URL (built by hand),
// on every dialect.
func TestOpenDatabaseBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for raw, want := range map[string]error{
		"":                                  dialects.ErrBadURL,
		"oracle://u:s3cretpw@h/db":          dialects.ErrUnknownDialect,
		"postgres://u:s3cretpw@h:notaport/": dialects.ErrBadURL,
		"mysql://u:s3cretpw@/":              dialects.ErrBadURL,
		"sqlite:":                           dialects.ErrBadURL,
		"sqlite:app.db?journal=wal":         dialects.ErrBadURL,
	} {
		db, err := framework.OpenDatabase(ctx, raw)
		if db != nil || !errors.Is(err, want) {
			t.Errorf("OpenDatabase(%q) = %v, %v; want an error wrapping %v", raw, db, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("OpenDatabase(%q) error shows the password: %v", raw, err)
		}
	}
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		byHand := &framework.Database{DB: db.SQL, Dialect: db.Dialect()}
		if m, err := migrate.New(byHand, migrate.Options{}); m != nil || err == nil || !strings.Contains(err.Error(), "no URL") {
			t.Errorf("migrate.New without a URL = %v, %v; want the no-URL error", m, err)
		}
		opened, err := framework.OpenDatabase(ctx, db.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer opened.DB.Close()
		if opened.URL == nil || opened.URL.Dialect.Name() != db.Name || opened.Dialect.Name() != db.Name {
			t.Errorf("OpenDatabase(%s) = URL %v, dialect %v", db.Name, opened.URL, opened.Dialect)
		}
		if _, err := migrate.New(opened, migrate.Options{}); err != nil {
			t.Errorf("migrate.New on an opened database: %v", err)
		}
	})
}
