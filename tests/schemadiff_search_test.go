package tests

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/records"
	"github.com/quarry-go/quarry/framework/schemadiff"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// searchDDL is a table with the -- quarry:search hint, per dialect.
var searchDDL = map[dialects.Name]string{
	dialects.SQLite:   "CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(200) NOT NULL, slug VARCHAR(200) NOT NULL);\n",
	dialects.Postgres: "CREATE TABLE posts (id BIGSERIAL PRIMARY KEY, title VARCHAR(200) NOT NULL, slug VARCHAR(200) NOT NULL);\n",
	dialects.MySQL:    "CREATE TABLE posts (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200) NOT NULL, slug VARCHAR(200) NOT NULL);\n",
}

// TestSchemaSearchHint: "-- quarry:search title, slug" above a CREATE
// TABLE makes makemigrations write the dialect's search indexes — on
// PostgreSQL pg_trgm and a GIN trigram index on LOWER(col) per column,
// which the rows engine's search query uses (its plan names them); none
// on MySQL and SQLite, where search scans — applied, re-diffed to
// nothing, down and up again. A malformed hint, or one naming a column
// the table lacks, is refused. On every dialect.
func TestSchemaSearchHint(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		app := t.TempDir()
		sqlDir, migDir := filepath.Join(app, "sql"), filepath.Join(app, "migrations")
		for _, d := range []string{sqlDir, migDir} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		dev := map[dialects.Name]string{dialects.Postgres: os.Getenv(dbtest.EnvPostgres), dialects.MySQL: os.Getenv(dbtest.EnvMySQL)}[db.Name]
		diff := func(ddl string) (*schemadiff.Result, error) {
			if err := os.WriteFile(filepath.Join(sqlDir, "schema.sql"), []byte(ddl), 0o644); err != nil {
				t.Fatal(err)
			}
			return schemadiff.Diff(ctx, schemadiff.Options{Dialect: db.Dialect(), SchemaDir: sqlDir, Migrations: os.DirFS(migDir), DevURL: dev})
		}
		for name, ddl := range map[string]string{
			"malformed":      "-- quarry:search title slug\n" + searchDDL[db.Name],
			"missing column": "-- quarry:search title, body\n" + searchDDL[db.Name],
		} {
			if _, err := diff(ddl); err == nil || !errors.Is(err, schemadiff.ErrHint) && !errors.Is(err, schemadiff.ErrDDL) {
				t.Errorf("%s hint: %v", name, err)
			}
		}
		res, err := diff("-- quarry:search title, slug\n" + searchDDL[db.Name])
		if err != nil {
			t.Fatal(err)
		}
		indexed := db.Name == dialects.Postgres
		for _, want := range []string{"CREATE EXTENSION IF NOT EXISTS pg_trgm", `"posts_title_search"`, `"posts_slug_search"`, "gin_trgm_ops"} {
			if got := slices.ContainsFunc(res.Up, func(s string) bool { return strings.Contains(s, want) }); got != indexed {
				t.Errorf("up has %q: %v, want %v\n%s", want, got, indexed, res.File)
			}
		}
		if _, err := migrate.CreateWith(migDir, "posts", []byte(res.File)); err != nil {
			t.Fatal(err)
		}
		m, err := migrate.New(db.Database(), migrate.Options{AppFS: os.DirFS(migDir)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up: %v\n%s", err, res.File)
		}
		if again, err := diff("-- quarry:search title, slug\n" + searchDDL[db.Name]); err != nil || !again.Empty() {
			t.Fatalf("re-diff after up: %v\n%v", err, again)
		}
		if _, err := m.Down(ctx, migrate.App); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if !indexed {
			return
		}
		// The engine's search query is one the indexes answer.
		s, err := introspect.Load(ctx, db.Database())
		if err != nil {
			t.Fatal(err)
		}
		st, _ := s.Table("posts")
		tbl, err := records.New(st, records.Options{Search: []string{"title", "slug"}})
		if err != nil {
			t.Fatal(err)
		}
		q := records.NewSQL(db.Dialect())
		q.W("EXPLAIN SELECT id FROM posts")
		tbl.Where(q, &records.List{Terms: []string{"go", "fast"}}, nil)
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.QueryContext(ctx, q.String(), q.Args()...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if !strings.Contains(plan.String(), "posts_title_search") || !strings.Contains(plan.String(), "posts_slug_search") {
			t.Errorf("the search's plan uses no search index:\n%s%s", q.String(), plan.String())
		}
	})
}
