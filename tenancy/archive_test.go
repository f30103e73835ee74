package tenancy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestRegistryDeleteArchives deletes a tenant on each dialect (and a
// schema tenant on PostgreSQL) with DeleteTenant's defaults: SQLite's
// file goes to <SQLiteDir>/archive, PostgreSQL's database or schema is
// renamed quarry_a_<slug>_<timestamp> while a connection to it is open,
// and the archive still holds the migrated tables; MySQL, which cannot
// rename a database, drops it and says why. NoArchive drops everywhere.
func TestRegistryDeleteArchives(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, tdb *dbtest.DB) {
		deleteArchives(t, tdb, tenancy.ModeDatabase)
	})
	t.Run("postgres-schema", func(t *testing.T) {
		t.Parallel()
		deleteArchives(t, dbtest.New(t, dialects.Postgres), tenancy.ModeSchema)
	})
}

func deleteArchives(t *testing.T, tdb *dbtest.DB, mode tenancy.Mode) {
	ctx := context.Background()
	reg, _ := newRegistry(t, tdb, nil)
	var b [4]byte
	_, _ = rand.Read(b[:])
	slug := "arc-" + hex.EncodeToString(b[:]) // archive names are server-wide: unique per run
	tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	handle, err := reg.Open(ctx, tn)
	if err != nil {
		t.Fatal(err)
	}
	defer handle.DB.Close()
	if _, err := handle.DB.ExecContext(ctx, "INSERT INTO authors (name, email, bio) VALUES ('Kept', 'k@example.com', '')"); err != nil {
		t.Fatal(err)
	}
	server := tdb.Dialect().Capabilities().ServerDatabases
	if server {
		// A session stays connected: the rename must end it.
		conn, err := handle.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
	} else {
		handle.DB.Close() // the caller closes its pools first
	}

	before := time.Now().UTC().Add(-time.Second)
	res, err := reg.DeleteTenant(ctx, slug, tenancy.DeleteOptions{})
	if err != nil {
		t.Fatalf("DeleteTenant: %v", err)
	}
	if _, err := reg.Show(ctx, slug); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("Show after DeleteTenant: %v", err)
	}
	if tenantDataExists(t, tdb, tn) {
		t.Errorf("the tenant's data is still in place after DeleteTenant")
	}
	switch {
	case mode == tenancy.ModeSchema:
		archive := res.Archive // res is reused below
		t.Cleanup(func() {
			if err := tdb.Dialect().(dialects.Schemas).DropSchema(context.Background(), tdb.SQL, archive); err != nil {
				t.Errorf("drop the archive schema %s: %v", archive, err)
			}
		})
		wantArchiveName(t, res, slug, before)
		if !tableIn(t, tdb, res.Archive, "authors") {
			t.Errorf("the archived schema %s has no authors", res.Archive)
		}
		var n int
		if err := tdb.SQL.QueryRowContext(ctx, `SELECT count(*) FROM "`+res.Archive+`".authors WHERE name = 'Kept'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("the archived schema's row: %d, %v", n, err)
		}
	case !server:
		if dir := filepath.Join(reg.SQLiteDir(), tenancy.ArchiveDir); filepath.Dir(res.Archive) != dir ||
			!strings.HasPrefix(filepath.Base(res.Archive), slug+"-") || !strings.HasSuffix(res.Archive, ".db") {
			t.Errorf("archive %q, want %s/%s-<timestamp>.db", res.Archive, dir, slug)
		}
		if res.Dropped || res.NotArchived != "" {
			t.Errorf("Deletion %+v", res)
		}
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			u, _ := dialects.ParseURL(tn.DatabaseURL)
			if _, err := os.Stat(u.Database + suffix); err == nil {
				t.Errorf("%s%s left in place", u.Database, suffix)
			}
		}
		countKept(t, "sqlite:"+res.Archive)
	case tdb.Dialect().Capabilities().RenameDatabase:
		archive := res.Archive // res is reused below
		t.Cleanup(func() {
			if err := tdb.Dialect().DropDatabase(context.Background(), tdb.SQL, archive); err != nil {
				t.Errorf("drop the archive database %s: %v", archive, err)
			}
		})
		wantArchiveName(t, res, slug, before)
		if ok, err := tdb.Dialect().DatabaseExists(ctx, tdb.SQL, res.Archive); err != nil || !ok {
			t.Fatalf("the archive database %s: %v %v", res.Archive, ok, err)
		}
		u, err := tdb.Parsed.WithDatabase(res.Archive)
		if err != nil {
			t.Fatal(err)
		}
		countKept(t, u.Raw)
	default: // no rename: dropped, and said so
		if res.Archive != "" || !res.Dropped || !strings.Contains(res.NotArchived, "cannot rename a database") {
			t.Errorf("Deletion %+v, want dropped because the database cannot rename a database", res)
		}
	}

	// NoArchive drops, archives nothing.
	other, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug + "-x", Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	res, err = reg.DeleteTenant(ctx, other.Slug, tenancy.DeleteOptions{NoArchive: true})
	if err != nil || res.Archive != "" || !res.Dropped || res.NotArchived != "" {
		t.Errorf("DeleteTenant NoArchive: %+v, %v", res, err)
	}
	if tenantDataExists(t, tdb, other) {
		t.Errorf("the data survived DeleteTenant NoArchive")
	}
	if !server {
		entries, _ := os.ReadDir(filepath.Join(reg.SQLiteDir(), tenancy.ArchiveDir))
		if len(entries) != 1 {
			t.Errorf("archive directory after NoArchive: %d entries, want the first tenant's file", len(entries))
		}
	}
}

func wantArchiveName(t *testing.T, res *tenancy.Deletion, slug string, before time.Time) {
	t.Helper()
	prefix := tenancy.ArchivePrefix + strings.ReplaceAll(slug, "-", "_") + "_"
	ts, ok := strings.CutPrefix(res.Archive, prefix)
	at, err := time.Parse("20060102150405", ts)
	if !ok || err != nil || at.Before(before.Truncate(time.Second)) || at.After(time.Now().UTC()) {
		t.Errorf("archive %q, want %s<yyyymmddhhmmss of now, UTC>", res.Archive, prefix)
	}
	if res.Dropped || res.NotArchived != "" {
		t.Errorf("Deletion %+v", res)
	}
}

// countKept checks that the archived database at raw still has the row
// written before the deletion.
func countKept(t *testing.T, raw string) {
	t.Helper()
	u, err := dialects.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	db, err := dialects.OpenURL(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM authors WHERE name = 'Kept'").Scan(&n); err != nil || n != 1 {
		t.Errorf("the archive's row: %d, %v", n, err)
	}
}

// TestArchiveName: quarry_a_<slug>_<UTC timestamp>, refused beyond 63
// bytes.
func TestArchiveName(t *testing.T) {
	at := time.Date(2026, 11, 28, 23, 4, 5, 0, time.FixedZone("x", 3600))
	if got, err := tenancy.ArchiveName("acme-corp", at); err != nil || got != "quarry_a_acme_corp_20261128220405" {
		t.Errorf("ArchiveName = %q, %v", got, err)
	}
	if _, err := tenancy.ArchiveName(strings.Repeat("a", 40), at); !errors.Is(err, tenancy.ErrInvalid) {
		t.Errorf("ArchiveName of a 40-byte slug: %v, want ErrInvalid", err)
	}
	if _, err := tenancy.ArchiveName(strings.Repeat("a", 39), at); err != nil {
		t.Errorf("ArchiveName of a 39-byte slug: %v", err)
	}
}
