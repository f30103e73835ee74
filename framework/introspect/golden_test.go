package introspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tests/dbtest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from what Load reads now")

// golden is what the golden files hold: the schema Load reads and each
// table's Estimate.
type golden struct {
	Schema    *introspect.Schema
	Estimates map[string]int64
}

// TestLoadGolden loads, on each dialect, the schema of a migrated
// database (the framework's tables) plus testdata/golden/<dialect>.sql,
// which covers every Kind, lengths, defaults (literal, expression, NULL,
// generated), identity and auto-increment columns, composite, partial,
// expression and INCLUDE indexes, foreign keys with every ON DELETE
// action, views and the dialect's oddities; and compares it, with every
// table's Estimate, to testdata/golden/<dialect>.json. The golden files
// were written by the three hand-written loaders introspection had before
// the catalog queries moved into the dialect packages (dialects.Catalog),
// so they pin Load's result across that rewrite. They are the output of
// the servers they were written on (PostgreSQL 15, MariaDB 10.11):
// another version may word a type or a default otherwise. Regenerate them
// with -update only on purpose, and read the diff.
func TestLoadGolden(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t, name)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if name == dialects.MySQL {
				// The golden file is MariaDB's (as in CI): MySQL 8 writes
				// types and defaults otherwise and lacks UUID.
				var version string
				if err := db.SQL.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(strings.ToLower(version), "mariadb") {
					t.Skipf("the golden file is MariaDB's; the server is MySQL %s", version)
				}
			}
			m, err := migrate.New(db.Database(), migrate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("migrations: %v", err)
			}
			ddl, err := os.ReadFile(filepath.Join("testdata", "golden", string(name)+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range strings.Split(string(ddl), ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%v\n%s", err, stmt)
				}
			}
			s, err := introspect.Load(ctx, db.Database())
			if err != nil {
				t.Fatal(err)
			}
			got := golden{Schema: s, Estimates: map[string]int64{}}
			for _, tb := range s.Tables {
				n, err := introspect.Estimate(ctx, db.SQL, db.Dialect(), tb.Name)
				if err != nil {
					t.Fatal(err)
				}
				got.Estimates[tb.Name] = n
			}
			out, err := json.MarshalIndent(got, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
			file := filepath.Join("testdata", "golden", string(name)+".json")
			if *update {
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The one difference the rewrite allowed itself: SQLite's
			// loader gave a table without a primary key an empty,
			// non-nil PrimaryKey, and the shared builder leaves it nil,
			// as it always was on the other dialects (no reader can
			// tell: len, range and slices.Equal see the same).
			want = bytes.ReplaceAll(want, []byte(`"PrimaryKey": [],`), []byte(`"PrimaryKey": null,`))
			if !bytes.Equal(out, want) {
				gotFile := filepath.Join(t.TempDir(), string(name)+".json")
				_ = os.WriteFile(gotFile, out, 0o644)
				t.Errorf("Load's result differs from %s; got %s:\n%s", file, gotFile, lineDiff(string(want), string(out)))
			}
		})
	}
}

// lineDiff lists the lines that differ between want and got, by position
// (enough to spot a changed field; the files have one field a line).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  - " + wl + "\n  + " + gl + "\n")
			shown++
		}
	}
	return b.String()
}
