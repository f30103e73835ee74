package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ariga.io/atlas/sql/schema"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/atlasdriver"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework/schemadiff"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestMigrationsMatchDDL checks, on every dialect, that the migrations
// build exactly the schema the DDL describes — the framework's
// (dialects/<d>/migrations vs sql/<d>) and the blog's — with the schema
// differ, as `make check-migrations` does in CI.
func TestMigrationsMatchDDL(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		root := repoRoot(t)
		dev := map[dialects.Name]string{dialects.Postgres: os.Getenv(dbtest.EnvPostgres), dialects.MySQL: os.Getenv(dbtest.EnvMySQL)}[db.Name]
		blog, err := migrations.For(db.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			opts schemadiff.Options
		}{
			{"framework", schemadiff.Options{SchemaDir: filepath.Join(root, "sql", string(db.Name)), Migrations: db.Dialect().Migrations(), FrameworkSchema: true}},
			{"blog", schemadiff.Options{SchemaDir: filepath.Join(root, "examples", "blog", "sql", string(db.Name)), Migrations: blog}},
		} {
			c.opts.Dialect, c.opts.DevURL = db.Dialect(), dev
			res, err := schemadiff.Diff(context.Background(), c.opts)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !res.Empty() {
				t.Errorf("%s: the migrations and the DDL differ: %v", c.name, res.Summary)
			}
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
