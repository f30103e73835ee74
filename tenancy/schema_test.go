package tenancy_test

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/examples/blog/db"
	blogmigrations "github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestSchemaTenantPinned is the proof the issue asks for: two schema
// tenants and the public schema hold a table of the same name; once it is
// dropped from one tenant's schema, that tenant's queries fail (undefined
// table) rather than read the other tenant's or public's — on a fresh
// connection, after RESET ALL, and through the app's typed queries.
func TestSchemaTenantPinned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := dbtest.New(t, dialects.Postgres)
	reg, _ := newRegistry(t, tdb, nil)
	// public holds the app's tables too, with a row of its own.
	blog, err := migrate.New(tdb.Database(), migrate.Options{AppFS: blogFS(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blog.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Queries(tdb.Database()).AuthorCreate(ctx, db.AuthorCreateParams{Name: "public's", Email: "p@public.example", Bio: "-"}); err != nil {
		t.Fatal(err)
	}

	handles := map[string]*framework.Database{}
	schemas := map[string]string{}
	for _, slug := range []string{"acme", "globex"} {
		tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug, Mode: tenancy.ModeSchema})
		if err != nil {
			t.Fatalf("Create %s: %v", slug, err)
		}
		h, err := reg.Open(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.DB.Close() })
		handles[slug], schemas[slug] = h, tn.Schema
		if _, err := db.Queries(h).AuthorCreate(ctx, db.AuthorCreateParams{Name: slug + "'s", Email: "a@" + slug + ".example", Bio: "-"}); err != nil {
			t.Fatal(err)
		}
		// The session sees the schema alone.
		var path, current string
		if err := h.DB.QueryRowContext(ctx, "SELECT current_setting('search_path'), current_schema()").Scan(&path, &current); err != nil {
			t.Fatal(err)
		}
		if path != tn.Schema && path != `"`+tn.Schema+`"` || current != tn.Schema {
			t.Errorf("%s: search_path %q, current_schema %q, want %s alone", slug, path, current, tn.Schema)
		}
	}

	// The migrations ran inside each schema: the framework's, the app's
	// and goose's tables are there, and nothing of the tenants' went to
	// public but what was there before.
	for slug, schema := range schemas {
		for _, table := range []string{migrate.FrameworkTable, migrate.AppTable, "quarry_users", "authors", "quarry_migrate_lock"} {
			if !tableIn(t, tdb, schema, table) {
				t.Errorf("%s: no %s.%s", slug, schema, table)
			}
		}
	}

	// Each sees its own row only.
	for slug, h := range handles {
		authors, err := db.Queries(h).AuthorList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(authors) != 1 || authors[0].Name != slug+"'s" {
			t.Errorf("%s sees %+v", slug, authors)
		}
	}

	// Drop acme's authors: acme's queries fail, never reading globex's
	// or public's authors.
	if _, err := tdb.SQL.ExecContext(ctx, "DROP TABLE "+tdb.Dialect().QuoteIdent(schemas["acme"])+".authors CASCADE"); err != nil {
		t.Fatal(err)
	}
	acme := handles["acme"]
	acme.DB.SetMaxIdleConns(0) // every query below on a fresh connection
	undefined := func(what string, err error) {
		t.Helper()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P01" {
			t.Errorf("%s after its table was dropped: %v, want undefined_table (42P01)", what, err)
		}
	}
	var name string
	undefined("SELECT", acme.DB.QueryRowContext(ctx, "SELECT name FROM authors LIMIT 1").Scan(&name))
	_, err = db.Queries(acme).AuthorList(ctx)
	undefined("AuthorList", err)
	_, err = acme.DB.ExecContext(ctx, "INSERT INTO authors (name, email, bio) VALUES ($1, $2, $3)", "x", "x@x.example", "-")
	undefined("INSERT", err)
	// RESET ALL (and DISCARD ALL, which a pooler may run) return to the
	// search path set at connection, the schema alone.
	conn, err := acme.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{"RESET ALL", "RESET search_path", "DISCARD ALL"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		undefined(stmt, conn.QueryRowContext(ctx, "SELECT name FROM authors LIMIT 1").Scan(&name))
	}
	conn.Close()
	// globex and public are untouched.
	if authors, err := db.Queries(handles["globex"]).AuthorList(ctx); err != nil || len(authors) != 1 || authors[0].Name != "globex's" {
		t.Errorf("globex: %+v %v", authors, err)
	}
	if authors, err := db.Queries(tdb.Database()).AuthorList(ctx); err != nil || len(authors) != 1 || authors[0].Name != "public's" {
		t.Errorf("public: %+v %v", authors, err)
	}
	// Migrating acme again does not bring the table back from elsewhere:
	// its version table, in its schema, says it is up to date.
	if err := reg.MigrateTenant(ctx, mustShow(t, reg, "acme")); err != nil {
		t.Fatal(err)
	}
	if tableIn(t, tdb, schemas["acme"], "authors") {
		t.Error("MigrateTenant recreated acme's authors: its version table is not its own")
	}

	// Delete with the data drops the schema, CASCADE, and nothing else.
	acme.DB.Close()
	if err := reg.Delete(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	if exists, err := tdb.Dialect().(dialects.Schemas).SchemaExists(ctx, tdb.SQL, schemas["acme"]); err != nil || exists {
		t.Errorf("acme's schema after Delete: %v %v", exists, err)
	}
	if !tableIn(t, tdb, schemas["globex"], "authors") || !tableIn(t, tdb, "public", "authors") {
		t.Error("Delete of acme dropped another schema's table")
	}
}

// TestSchemaTenantCreateFailure: a migration that fails part-way drops the
// schema and the row, and the slug can be used again; a schema that
// exists already is refused and left alone.
func TestSchemaTenantCreateFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := dbtest.New(t, dialects.Postgres)
	broken := true
	app := func(dialects.Name) (fs.FS, error) {
		files := fstest.MapFS{"00001_ok.sql": {Data: []byte("-- +goose Up\nCREATE TABLE ok_t (id INTEGER);\n-- +goose Down\nDROP TABLE ok_t;\n")}}
		if broken {
			files["00002_bad.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE bad_t (id INTEGER NOT VALID SQL);\n")}
		}
		return files, nil
	}
	reg, prefix := newRegistry(t, tdb, app)
	sd := tdb.Dialect().(dialects.Schemas)
	_, err := reg.Create(ctx, tenancy.CreateParams{Slug: "fails", Mode: tenancy.ModeSchema})
	if err == nil || !strings.Contains(err.Error(), "00002_bad.sql") {
		t.Fatalf("Create with a broken migration: %v", err)
	}
	if ts, err := reg.List(ctx); err != nil || len(ts) != 0 {
		t.Errorf("after a failed Create: %v %v", ts, err)
	}
	if exists, err := sd.SchemaExists(ctx, tdb.SQL, prefix+"fails"); err != nil || exists {
		t.Errorf("a failed Create left its schema: %v %v", exists, err)
	}
	if tableIn(t, tdb, "public", "ok_t") {
		t.Error("the tenant's migration ran in public")
	}
	broken = false
	if tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: "fails", Mode: tenancy.ModeSchema}); err != nil {
		t.Errorf("Create again: %v", err)
	} else if !tableIn(t, tdb, tn.Schema, "ok_t") {
		t.Errorf("ok_t is not in %s", tn.Schema)
	}

	// A schema made beforehand is not adopted, nor dropped.
	if err := sd.CreateSchema(ctx, tdb.SQL, prefix+"taken"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "taken", Mode: tenancy.ModeSchema}); !errors.Is(err, tenancy.ErrExists) {
		t.Errorf("Create over an existing schema: %v, want ErrExists", err)
	}
	if exists, err := sd.SchemaExists(ctx, tdb.SQL, prefix+"taken"); err != nil || !exists {
		t.Errorf("the existing schema after a refused Create: %v %v", exists, err)
	}
	if err := sd.DropSchema(ctx, tdb.SQL, prefix+"taken"); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaModeRefused: schema mode on a dialect without schemas, in a
// database URL of one, and with names that cannot be schemas.
func TestSchemaModeRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	my := dbtest.New(t, dialects.MySQL)
	reg, _ := newRegistry(t, my, nil)
	if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "acme", Mode: tenancy.ModeSchema}); !errors.Is(err, tenancy.ErrUnsupported) ||
		!strings.Contains(err.Error(), "needs a database with named schemas") || !strings.Contains(err.Error(), "MySQL") {
		t.Errorf("schema mode on MySQL: %v", err)
	}
	pg := dbtest.New(t, dialects.Postgres)
	reg, _ = newRegistry(t, pg, nil)
	if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "acme", Mode: tenancy.ModeSchema, DatabaseURL: "sqlite:" + t.TempDir() + "/x.db"}); !errors.Is(err, tenancy.ErrUnsupported) {
		t.Errorf("schema mode in a SQLite database: %v", err)
	}
	if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "acme", Mode: tenancy.ModeSchema, DatabaseURL: withQuery(t, pg.URL, "options", "-c search_path=public")}); !errors.Is(err, tenancy.ErrInvalid) {
		t.Errorf("a database URL setting search_path in options: %v", err)
	}
	bad := tenancy.NewRegistry(pg.Database(), tenancy.RegistryOptions{DatabasePrefix: `x"; DROP SCHEMA public; --`})
	if _, err := bad.Create(ctx, tenancy.CreateParams{Slug: "acme", Mode: tenancy.ModeSchema}); !errors.Is(err, tenancy.ErrInvalid) {
		t.Errorf("a prefix that is no identifier: %v", err)
	}
	if ts, _ := reg.List(ctx); len(ts) != 0 {
		t.Errorf("refused creations left %v", ts)
	}
	for _, name := range []string{"public", "pg_temp", "information_schema", "a-b", `a"b`, ""} {
		if err := dialects.ValidateSchemaName(name); !errors.Is(err, dialects.ErrBadDatabaseName) {
			t.Errorf("ValidateSchemaName(%q): %v", name, err)
		}
	}
}

func blogFS(t *testing.T) fs.FS {
	t.Helper()
	f, err := blogmigrations.For(dialects.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func tableIn(t *testing.T, tdb *dbtest.DB, schema, table string) bool {
	t.Helper()
	var names []string
	rows, err := tdb.SQL.Query("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return slices.Contains(names, table)
}

func mustShow(t *testing.T, reg *tenancy.Registry, slug string) *tenancy.Tenant {
	t.Helper()
	tn, err := reg.Show(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func withQuery(t *testing.T, raw, key, value string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
