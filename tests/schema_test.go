package tests

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ariga.io/atlas/sql/schema"

	"github.com/quarry-go/quarry/dialects/atlasdriver"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/schemadiff"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestMigrationsMatchDDL checks, on every dialect, that the migrations
// build exactly the schema the DDL describes — the framework's
// (dialects/<d>/migrations vs sql/<d>) and the blog's — by inspecting both
// databases with the dialect's Atlas driver and diffing them.
func TestMigrationsMatchDDL(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, viaMigrations *dbtest.DB) {
		ctx := context.Background()
		name := viaMigrations.Name
		blog, err := migrations.For(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := migrate.New(viaMigrations.SQL, viaMigrations.Parsed, migrate.Options{AppFS: blog})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}

		viaDDL := dbtest.New(t, name)
		root := repoRoot(t)
		for _, dir := range []string{filepath.Join(root, "sql", string(name)), filepath.Join(root, "examples", "blog", "sql", string(name))} {
			execDDL(t, viaDDL, dir)
		}

		a, b := inspect(t, viaMigrations), inspect(t, viaDDL)
		ignore := []string{migrate.FrameworkTable, migrate.AppTable, "quarry_migrate_lock", "sqlite_sequence"}
		a.Tables = slices.DeleteFunc(a.Tables, func(t *schema.Table) bool { return slices.Contains(ignore, t.Name) })
		b.Tables = slices.DeleteFunc(b.Tables, func(t *schema.Table) bool { return slices.Contains(ignore, t.Name) })
		if len(a.Tables) != 11 {
			t.Errorf("migrations built %d tables; want 11 (7 framework + 4 blog)", len(a.Tables))
		}
		b.Name = a.Name // MySQL: the two databases have different names
		schemadiff.AlignAutoIndexNames(a, b)
		drv, err := atlasdriver.Open(viaMigrations.Dialect(), viaMigrations.SQL)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := drv.SchemaDiff(a, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			t.Errorf("migrations and DDL differ: %s", describe(c))
		}
	})
}

func inspect(t *testing.T, db *dbtest.DB) *schema.Schema {
	t.Helper()
	drv, err := atlasdriver.Open(db.Dialect(), db.SQL)
	if err != nil {
		t.Fatal(err)
	}
	s, err := drv.InspectSchema(context.Background(), "", nil)
	if err != nil {
		t.Fatalf("inspect %s: %v", db.Name, err)
	}
	return s
}

// execDDL runs every statement of the .sql files of dir. Files may refer to
// each other's tables in any order: statements that fail are retried after
// the others until a round makes no progress.
func execDDL(t *testing.T, db *dbtest.DB, dir string) {
	t.Helper()
	files, err := fs.Glob(os.DirFS(dir), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no DDL in %s: %v", dir, err)
	}
	var pending []string
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(src), ";\n") {
			if strings.TrimSpace(stripComments(stmt)) != "" {
				pending = append(pending, stmt)
			}
		}
	}
	for len(pending) > 0 {
		var failed []string
		var lastErr error
		for _, stmt := range pending {
			if _, err := db.SQL.ExecContext(context.Background(), stmt); err != nil {
				failed, lastErr = append(failed, stmt), err
			}
		}
		if len(failed) == len(pending) {
			t.Fatalf("DDL in %s does not apply: %v\n%s", dir, lastErr, failed[len(failed)-1])
		}
		pending = failed
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func describe(c schema.Change) string {
	switch c := c.(type) {
	case *schema.AddTable:
		return "table " + c.T.Name + " only in the DDL"
	case *schema.DropTable:
		return "table " + c.T.Name + " only in the migrations"
	case *schema.ModifyTable:
		var parts []string
		for _, tc := range c.Changes {
			switch tc := tc.(type) {
			case *schema.AddIndex:
				parts = append(parts, fmt.Sprintf("index %s only in the DDL", tc.I.Name))
			case *schema.DropIndex:
				parts = append(parts, fmt.Sprintf("index %s only in the migrations", tc.I.Name))
			case *schema.ModifyColumn:
				parts = append(parts, fmt.Sprintf("column %s differs (%v)", tc.From.Name, tc.Change))
			default:
				parts = append(parts, fmt.Sprintf("%T%+v", tc, tc))
			}
		}
		return "table " + c.T.Name + ": " + strings.Join(parts, "; ")
	}
	return fmt.Sprintf("%T %+v", c, c)
}
