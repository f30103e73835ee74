package codegen

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const fakeDB = `package sqlcdb

import (
	"context"
	"database/sql"
)

type DBTX interface {
	ExecContext(context.Context, string, ...interface{}) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
	QueryContext(context.Context, string, ...interface{}) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...interface{}) *sql.Row
}

func New(db DBTX) *Queries { return &Queries{db: db} }

type Queries struct{ db DBTX }

func (q *Queries) WithTx(tx *sql.Tx) *Queries { return &Queries{db: tx} }
`

// fakeQueries is sqlc-shaped output; fields and queries vary per test.
func fakeQueries(itemFields, extra string) string {
	return `package sqlcdb

import (
	"context"
	"database/sql"
	"time"
)

type Item struct {
` + itemFields + `
}

type ItemListParams struct {
	Limit  int64
	Offset int64
}

// ItemList pages through items.
func (q *Queries) ItemList(ctx context.Context, arg ItemListParams) ([]Item, error) { return nil, nil }

func (q *Queries) ItemGet(ctx context.Context, id int64) (Item, error) { return Item{}, nil }

func (q *Queries) ItemDelete(ctx context.Context, id int64) (int64, error) { return 0, nil }

func (q *Queries) ItemTouch(ctx context.Context, at time.Time) error { return nil }

func (q *Queries) ItemRaw(ctx context.Context) (sql.Result, error) { return nil, nil }
` + extra
}

func writeFake(t *testing.T, root, dialect, queries string) {
	t.Helper()
	dir := filepath.Join(root, "db", dialect, "internal", "sqlcdb")
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "db.go"), []byte(fakeDB), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "items.sql.go"), []byte(queries), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fakeModule(t *testing.T, sqliteQueries, pgQueries string) string {
	t.Helper()
	root := t.TempDir()
	// The adapters import Quarry's dialect packages (for ClassifyError):
	// the fake module requires this checkout, with its go.sum.
	_, quarry, err := modulePath(".")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/app\n\ngo 1.26\n\n"+
		"require github.com/quarry-go/quarry v0.0.0\n\nreplace github.com/quarry-go/quarry => "+filepath.ToSlash(quarry)+"\n"), 0o644))
	sum, err := os.ReadFile(filepath.Join(quarry, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(root, "go.sum"), sum, 0o644))
	must(t, os.WriteFile(filepath.Join(root, "sqlc.yaml"), []byte(`version: "2"
sql:
  - engine: sqlite
    queries: queries/sqlite
    gen: {go: {package: sqlcdb, out: db/sqlite/internal/sqlcdb}}
  - engine: postgresql
    queries: queries/postgres
    gen: {go: {package: sqlcdb, out: db/postgres/internal/sqlcdb}}
`), 0o644))
	writeFake(t, root, "sqlite", sqliteQueries)
	writeFake(t, root, "postgres", pgQueries)
	return root
}

// TestGenerateCompiles writes the shared package and adapters for two
// dialects whose structs list fields in different orders, then builds them.
func TestGenerateCompiles(t *testing.T) {
	t.Parallel()
	root := fakeModule(t,
		fakeQueries("ID int64\nName string\nSeen sql.NullTime", ""),
		fakeQueries("Name string\nID int64\nSeen sql.NullTime", ""))
	written, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 3 {
		t.Errorf("wrote %v", written)
	}
	types, _ := os.ReadFile(filepath.Join(root, "db", GeneratedFile))
	for _, want := range []string{"type Querier interface", "ItemsQueries", "// ItemList pages through items.", "type Item struct", "DO NOT EDIT"} {
		if !strings.Contains(string(types), want) {
			t.Errorf("types file lacks %q:\n%s", want, types)
		}
	}
	// Every error an adapter returns goes through the dialect's
	// ClassifyError, imported from Quarry's dialect package.
	pg, _ := os.ReadFile(filepath.Join(root, "db", "postgres", GeneratedFile))
	for _, want := range []string{
		`quarrypostgres "github.com/quarry-go/quarry/dialects/postgres"`,
		"return quarrypostgres.ClassifyError(a.q.ItemTouch(ctx, at))",          // error only
		"return out, quarrypostgres.ClassifyError(err)",                        // scalar
		"return fromDBItem(row), quarrypostgres.ClassifyError(err)",            // one row
		"if err != nil {\n\t\treturn nil, quarrypostgres.ClassifyError(err)\n", // rows
	} {
		if !strings.Contains(string(pg), want) {
			t.Errorf("postgres adapter lacks %q:\n%s", want, pg)
		}
	}
	if n := strings.Count(string(pg), "ClassifyError("); n != 5 {
		t.Errorf("postgres adapter classifies %d errors; want 5 (one per query):\n%s", n, pg)
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = root
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("generated code does not build: %v\n%s", err, out)
	}
	// A second run changes nothing and reports no files.
	again, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
	if err != nil || len(again) != 0 {
		t.Errorf("second run wrote %v, %v", again, err)
	}
}

func TestGenerateParityErrors(t *testing.T) {
	t.Parallel()
	root := fakeModule(t,
		fakeQueries("ID int64\nName string", "func (q *Queries) ItemCount(ctx context.Context) (int64, error) { return 0, nil }\n"),
		fakeQueries("ID int32\nName string\nExtra bool", ""))
	_, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
	if !errors.Is(err, ErrParity) {
		t.Fatalf("err = %v; want ErrParity", err)
	}
	for _, want := range []string{
		"query ItemCount is in sqlite",
		"but missing from postgres",
		"field Item.ID is int64 in sqlite but int32 in postgres",
		"field Item.Extra exists in postgres but not in sqlite",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "db", GeneratedFile)); !os.IsNotExist(err) {
		t.Error("files written despite the parity failure")
	}
}

func TestReadConfigErrors(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		"sql: [{engine: oracle}]": `unknown engine "oracle"`,
		"sql: [{engine: sqlite}]": "gen.go.out is not set",
		"sql: []":                 "no sql: entries",
		"sql: [{engine: sqlite, gen: {go: {out: a}}}, {engine: sqlite, gen: {go: {out: b}}}]": "a second sqlite entry",
		"sql: {": "yaml",
	} {
		p := filepath.Join(t.TempDir(), "sqlc.yaml")
		must(t, os.WriteFile(p, []byte(body), 0o644))
		if _, err := ReadConfig(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", body, err, want)
		}
	}
}

func TestGenerateRejectsEnums(t *testing.T) {
	t.Parallel()
	enum := "type Status string\n"
	root := fakeModule(t, fakeQueries("ID int64", enum), fakeQueries("ID int64", enum))
	_, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
	if err == nil || !strings.Contains(err.Error(), "type Status (string) is specific to sqlite") {
		t.Errorf("err = %v", err)
	}
}

// TestAdapterInDialectPackage renders an adapter whose package is Quarry's
// own dialect package (the framework's adapters): it calls ClassifyError
// unqualified and does not import itself.
func TestAdapterInDialectPackage(t *testing.T) {
	t.Parallel()
	root := fakeModule(t, fakeQueries("ID int64", ""), fakeQueries("ID int64", ""))
	dialects, err := ReadConfig(filepath.Join(root, "sqlc.yaml"))
	must(t, err)
	p, err := load(dialects[0])
	must(t, err)
	src, err := adapterFile(p, p, "store", "example.com/app/store", "example.com/app/db/sqlite/internal/sqlcdb", dialectsImport+"/sqlite", false)
	must(t, err)
	if strings.Contains(string(src), dialectsImport) || !strings.Contains(string(src), "return out, ClassifyError(err)") || strings.Contains(string(src), "func init()") {
		t.Errorf("adapter in package sqlite:\n%s", src)
	}
}

func TestFileHeader(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, sql, want string }{
		{"header", "-- Sessions: find, write.\n-- Second line.\n\n-- SessionFind reads one.\n-- name: SessionFind :one\nSELECT 1;\n", "Sessions: find, write.\nSecond line.\n"},
		{"query doc only", "-- SessionFind reads one.\n-- name: SessionFind :one\nSELECT 1;\n", ""},
		{"no comment", "-- name: SessionFind :one\nSELECT 1;\n", ""},
		{"statement first", "SELECT 1;\n-- x\n\n", ""},
	} {
		p := filepath.Join(dir, c.name+".sql")
		if err := os.WriteFile(p, []byte(c.sql), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := fileHeader(p); got != c.want {
			t.Errorf("%s: fileHeader = %q, want %q", c.name, got, c.want)
		}
	}
	if got := fileHeader(filepath.Join(dir, "missing.sql")); got != "" {
		t.Errorf("missing file: %q", got)
	}
}

// dispatchTest runs in the generated module: it links in the sqlite
// adapter only, and checks what the dispatcher answers for each dialect.
const dispatchTest = `package db_test

import (
	"fmt"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/queries"

	"example.com/app/db"
	"example.com/app/db/sqlite"
)

// fakeDialect is a dialect with only a name (enough for the dispatcher).
type fakeDialect struct {
	dialects.Dialect
	name dialects.Name
}

func (d fakeDialect) Name() dialects.Name { return d.name }

type handle dialects.Name

func (h handle) Handle() (queries.DBTX, dialects.Dialect) { return nil, fakeDialect{name: dialects.Name(h)} }

func panicOf(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return ""
}

func TestDispatch(t *testing.T) {
	if q, ok := db.Queries(handle(dialects.SQLite)).(*sqlite.Queries); !ok || q == nil {
		t.Errorf("Queries(sqlite handle) = %T", q)
	}
	for h, want := range map[handle]string{
		"postgres": ` + "`" + `db: no adapter for dialect "postgres" is linked into this program: import _ "example.com/app/db/postgres"` + "`" + `,
		"mysql":    ` + "`" + `db: no adapter for dialect "mysql": quarry gen wrote adapters for postgres and sqlite only (one per sql: entry of sqlc.yaml)` + "`" + `,
	} {
		if got := panicOf(func() { db.Queries(h) }); got != want {
			t.Errorf("Queries(%s handle) panics %q; want %q", string(h), got, want)
		}
	}
	again := func() { db.RegisterAdapter(dialects.SQLite, func(x db.DBTX) db.Querier { return sqlite.New(x) }) }
	if got, want := panicOf(again), ` + "`" + `db: RegisterAdapter called twice for dialect "sqlite"` + "`" + `; got != want {
		t.Errorf("second registration panics %q; want %q", got, want)
	}
	if got := panicOf(func() { db.RegisterAdapter(dialects.MySQL, nil) }); got == "" {
		t.Error("registering a nil adapter does not panic")
	}
}
`

// TestGenerateDispatcher checks an app's dispatcher: the types package
// gets RegisterAdapter and Queries, each adapter registers itself from
// init, and Queries picks the adapter of the handle's dialect or panics
// naming the import to add (run as a test in the generated module).
func TestGenerateDispatcher(t *testing.T) {
	t.Parallel()
	root := fakeModule(t, fakeQueries("ID int64", ""), fakeQueries("ID int64", ""))
	_, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
	must(t, err)
	types, _ := os.ReadFile(filepath.Join(root, "db", GeneratedFile))
	for _, want := range []string{
		`"github.com/quarry-go/quarry/dialects"`,
		"func RegisterAdapter(dialect dialects.Name, newQueries func(DBTX) Querier) {",
		"func Queries(h dialects.Handle) Querier {",
		"case \"postgres\":\n\t\treturn `db: no adapter for dialect \"postgres\" is linked into this program: import _ \"example.com/app/db/postgres\"`",
	} {
		if !strings.Contains(string(types), want) {
			t.Errorf("types file lacks %q:\n%s", want, types)
		}
	}
	for _, d := range []string{"sqlite", "postgres"} {
		src, _ := os.ReadFile(filepath.Join(root, "db", d, GeneratedFile))
		want := "func init() {\n\tdb.RegisterAdapter(\"" + d + "\", func(x db.DBTX) db.Querier { return New(x) })\n}"
		if !strings.Contains(string(src), want) {
			t.Errorf("%s adapter lacks %q:\n%s", d, want, src)
		}
	}
	must(t, os.WriteFile(filepath.Join(root, "db", "dispatch_test.go"), []byte(dispatchTest), 0o644))
	test := exec.Command("go", "test", "-count=1", "./db")
	test.Dir = root
	test.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := test.CombinedOutput(); err != nil {
		t.Fatalf("dispatcher test in the generated module: %v\n%s", err, out)
	}
}

// TestFrameworkGetsNoDispatcher generates into the framework's own types
// package (import path github.com/quarry-go/quarry/queries): neither it
// nor the adapters get the dispatcher, since the framework's queries are
// dispatched by dialects.Dialect.Queries and package queries imports
// nothing of the framework.
func TestFrameworkGetsNoDispatcher(t *testing.T) {
	t.Parallel()
	root := fakeModule(t, fakeQueries("ID int64", ""), fakeQueries("ID int64", ""))
	must(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/quarry-go/quarry\n\ngo 1.26\n"), 0o644))
	_, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "queries")})
	must(t, err)
	types, _ := os.ReadFile(filepath.Join(root, "queries", GeneratedFile))
	if !strings.Contains(string(types), "type Querier interface") {
		t.Fatalf("no types file:\n%s", types)
	}
	for _, unwanted := range []string{"RegisterAdapter", "func Queries", dialectsImport} {
		if strings.Contains(string(types), unwanted) {
			t.Errorf("framework types file has %q:\n%s", unwanted, types)
		}
	}
	for _, d := range []string{"sqlite", "postgres"} {
		src, _ := os.ReadFile(filepath.Join(root, "db", d, GeneratedFile))
		if !strings.Contains(string(src), "func New(") || strings.Contains(string(src), "func init()") || strings.Contains(string(src), "RegisterAdapter") {
			t.Errorf("framework %s adapter registers itself:\n%s", d, src)
		}
	}
}

// writeSQL writes a dialect's query file of the fake module.
func writeSQL(t *testing.T, root, dialect, sql string) {
	t.Helper()
	dir := filepath.Join(root, "queries", dialect)
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "items.sql"), []byte(sql), 0o644))
}

// itemsSQL annotates the fake queries (the SQL itself is not read).
const itemsSQL = `-- Items.

-- ItemList pages through items.
-- quarry:endpoint GET /api/items public
-- name: ItemList :many
SELECT 1;

-- quarry:endpoint GET /api/items/{id} perm=items.view
-- quarry:admin "One item" perm=items.view
-- name: ItemGet :one
SELECT 1;

-- quarry:endpoint DELETE /api/items/{id} perm=items.delete
-- name: ItemDelete :execrows
SELECT 1;

-- quarry:endpoint POST /api/items/touch perm=items.change
-- name: ItemTouch :exec
SELECT 1;

-- name: ItemRaw :execresult
SELECT 1;
`

// TestGenerateEndpoints writes the endpoints of annotated queries: path
// wildcards, query-string and body parameters from the Go types, the
// kind from the sqlc command; the result builds.
func TestGenerateEndpoints(t *testing.T) {
	t.Parallel()
	q := fakeQueries("ID int64\nName string\nSeen sql.NullTime", "")
	root := fakeModule(t, q, q)
	writeSQL(t, root, "sqlite", itemsSQL)
	writeSQL(t, root, "postgres", itemsSQL)
	written, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(written, " "), EndpointsFile) {
		t.Errorf("wrote %v; want %s too", written, EndpointsFile)
	}
	raw, _ := os.ReadFile(filepath.Join(root, "db", EndpointsFile))
	src := strings.Join(strings.Fields(string(raw)), " ") // gofmt aligns
	for _, want := range []string{
		`Query: "ItemList"`, `Doc: "ItemList pages through items."`, `Method: "GET", Path: "/api/items", Permission: "", Kind: "many"`,
		`{Name: "limit", In: "query", Type: "int64", Required: true}`, `Limit: in.Int64("limit")`,
		`Method: "GET", Path: "/api/items/{id}", Permission: "items.view", Kind: "one"`, `{Name: "id", In: "path", Type: "int64", Required: true}`,
		`ResultFields: []api.Field{{Name: "id", Type: "int64"}, {Name: "name", Type: "string"}, {Name: "seen", Type: "sql.NullTime"}}`,
		`Kind: "execrows"`, `{Name: "at", In: "body", Type: "time.Time", Required: true}`, `return nil, Queries(h).ItemTouch(ctx, p0)`,
		`var Reports = []api.Endpoint{ { Query: "ItemGet", Title: "One item", Permission: "items.view", Kind: "one", Params: []api.Param{ {Name: "id", In: "query", Type: "int64", Required: true},`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("endpoints lack %q:\n%s", want, raw)
		}
	}
	if strings.Contains(src, "ItemRaw") {
		t.Errorf("an unannotated query got an endpoint:\n%s", src)
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = root
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("generated endpoints do not build: %v\n%s", err, out)
	}
	// Without annotations the file goes.
	writeSQL(t, root, "sqlite", "-- name: ItemList :many\nSELECT 1;\n")
	writeSQL(t, root, "postgres", "-- name: ItemList :many\nSELECT 1;\n")
	if _, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "db", EndpointsFile)); !os.IsNotExist(err) {
		t.Errorf("%s kept without annotations: %v", EndpointsFile, err)
	}
}

// TestGenerateEndpointErrors: an annotation without a permission, with a
// wildcard naming no parameter, on a query whose parameter or command an
// endpoint cannot serve, or differing between dialects, fails naming the
// query; nothing is written.
func TestGenerateEndpointErrors(t *testing.T) {
	t.Parallel()
	q := fakeQueries("ID int64\nName string", "")
	for name, c := range map[string]struct{ sqlite, postgres, want string }{
		"no permission":       {"-- quarry:endpoint GET /api/items\n-- name: ItemList :many\n", "", "names the permission it needs or says it is public"},
		"bad method":          {"-- quarry:endpoint FETCH /api/items public\n-- name: ItemList :many\n", "", "method FETCH"},
		"bad codename":        {"-- quarry:endpoint GET /api/items perm=items\n-- name: ItemList :many\n", "", "names the permission"},
		"stray wildcard":      {"-- quarry:endpoint GET /api/items/{slug} public\n-- name: ItemGet :one\n", "", "wildcard {slug} names no parameter"},
		"execresult":          {"-- quarry:endpoint GET /api/raw public\n-- name: ItemRaw :execresult\n", "", "command :execresult cannot be served"},
		"dangling":            {"-- quarry:endpoint GET /api/items public\n\nSELECT 1;\n", "", "must stand in the comment above"},
		"dialects disagree":   {"-- quarry:endpoint GET /api/items public\n-- name: ItemList :many\n", "-- quarry:endpoint GET /api/all public\n-- name: ItemList :many\n", "must be the same in every dialect"},
		"report without perm": {"-- quarry:admin \"Items\"\n-- name: ItemList :many\n", "", "a report names the permission it needs"},
		"report of an exec":   {"-- quarry:admin \"Touch\" perm=items.change\n-- name: ItemTouch :exec\n", "", "its command :exec is no report"},
		"reports disagree":    {"-- quarry:admin \"Items\" perm=items.view\n-- name: ItemList :many\n", "-- name: ItemList :many\n", "has admin report"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := fakeModule(t, q, q)
			pg := c.postgres
			if pg == "" {
				pg = c.sqlite
			}
			writeSQL(t, root, "sqlite", c.sqlite)
			writeSQL(t, root, "postgres", pg)
			_, err := Generate(Options{Config: filepath.Join(root, "sqlc.yaml"), TypesDir: filepath.Join(root, "db")})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v; want %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(root, "db", EndpointsFile)); !os.IsNotExist(err) {
				t.Errorf("%s written despite the error", EndpointsFile)
			}
		})
	}
}
