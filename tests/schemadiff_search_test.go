package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/api"
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
// which the rows engine's search query uses (its plan names them); on
// SQLite an FTS5 trigram table kept by triggers, which the search reads
// (sqliteSearchIndex); none on MySQL, where search scans — applied,
// re-diffed to nothing, down and up again. A malformed hint, one naming
// a column the table lacks, and on SQLite one on a table without an
// INTEGER PRIMARY KEY, are refused. On every dialect.
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
		ddls := map[string]string{
			"malformed":      "-- quarry:search title slug\n" + searchDDL[db.Name],
			"missing column": "-- quarry:search title, body\n" + searchDDL[db.Name],
		}
		if db.Name == dialects.SQLite {
			ddls["no rowid key"] = "-- quarry:search title\nCREATE TABLE posts (slug VARCHAR(200) PRIMARY KEY, title VARCHAR(200) NOT NULL);\n"
		}
		for name, ddl := range ddls {
			if _, err := diff(ddl); err == nil || !errors.Is(err, schemadiff.ErrHint) && !errors.Is(err, schemadiff.ErrDDL) || name == "no rowid key" && !strings.Contains(fmt.Sprint(err), "INTEGER PRIMARY KEY") {
				t.Errorf("%s hint: %v", name, err)
			}
		}
		res, err := diff("-- quarry:search title, slug\n" + searchDDL[db.Name])
		if err != nil {
			t.Fatal(err)
		}
		wants := map[dialects.Name][]string{
			dialects.Postgres: {"CREATE EXTENSION IF NOT EXISTS pg_trgm", `"posts_title_search"`, `"posts_slug_search"`, "gin_trgm_ops"},
			dialects.SQLite: {`CREATE VIRTUAL TABLE "posts_search" USING fts5("title", "slug", content='posts', tokenize='trigram')`,
				`CREATE TRIGGER "posts_search_insert" AFTER INSERT ON "posts"`, `CREATE TRIGGER "posts_search_update"`,
				`CREATE TRIGGER "posts_search_delete"`, `INSERT INTO "posts_search" ("posts_search") VALUES ('rebuild')`},
		}[db.Name]
		for _, want := range wants {
			if !slices.ContainsFunc(res.Up, func(s string) bool { return strings.Contains(s, want) }) {
				t.Errorf("up lacks %q\n%s", want, res.File)
			}
		}
		if db.Name == dialects.MySQL && strings.Contains(res.File, "search") {
			t.Errorf("a search index on MySQL:\n%s", res.File)
		}
		indexed := len(wants) > 0
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
		if db.Name == dialects.SQLite {
			sqliteSearchIndex(t, db, st, tbl)

			// inspectdb writes the index back as its hint, and its output
			// diffs to nothing against the migrations.
			ddl, err := schemadiff.Inspect(ctx, db.SQL, db.Parsed, schemadiff.InspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(ddl, "-- quarry:search title, slug\nCREATE TABLE `posts`") || strings.Contains(ddl, "VIRTUAL") || strings.Contains(ddl, "posts_search") {
				t.Errorf("inspectdb of a searched table:\n%s", ddl)
			}
			if again, err := diff(ddl); err != nil || !again.Empty() {
				t.Errorf("inspectdb's DDL against the migrations: %v\n%v", err, again)
			}

			// A change that rebuilds the table (title made nullable)
			// rebuilds its index too, which stays sound and searchable.
			res, err := diff("-- quarry:search title, slug\n" + strings.Replace(searchDDL[db.Name], "title VARCHAR(200) NOT NULL", "title VARCHAR(200)", 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`DROP TABLE "posts_search"`, `CREATE VIRTUAL TABLE "posts_search"`, `('rebuild')`} {
				if !strings.Contains(res.File, want) {
					t.Errorf("a rebuild of posts lacks %q:\n%s", want, res.File)
				}
			}
			if _, err := migrate.CreateWith(migDir, "rebuild", []byte(res.File)); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("up the rebuild: %v\n%s", err, res.File)
			}
			if _, err := db.SQL.ExecContext(ctx, `UPDATE posts SET title = 'Rebuilt ' || title`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL.ExecContext(ctx, `INSERT INTO posts_search (posts_search) VALUES ('integrity-check')`); err != nil {
				t.Errorf("the index after a rebuild and an update: %v", err)
			}
			if p, err := tbl.Fetch(ctx, db.SQL, db.Dialect(), &records.List{Terms: []string{"rebuilt"}, Cols: tbl.Columns, Order: tbl.FullOrder(nil), Limit: 50}); err != nil || len(p.Rows) == 0 {
				t.Errorf("search after the rebuild: %v", err)
			}
			return
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

// sqliteSearchIndex checks the engine's search through SQLite's FTS5
// trigram index (tbl, over posts with title and slug indexed): its plan
// reads the index; for a corpus of terms it finds what the LIKE search
// without the index finds; the triggers follow inserts, updates and
// deletes; and it folds non-ASCII case, which SQLite's LOWER does not.
func sqliteSearchIndex(t *testing.T, db *dbtest.DB, st *introspect.Table, tbl *records.Table) {
	ctx := context.Background()
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO posts (title, slug) VALUES
		('Going fast', 'go-fast'), ('Slow and steady', 'slow'), ('100% pure_Go', 'pure'),
		('Éclair au café', 'eclair'), ('Quoted "words" here', 'quoted'), ('a', 'b')`); err != nil {
		t.Fatal(err)
	}
	plain := *st
	plain.Indexes = slices.DeleteFunc(slices.Clone(st.Indexes), func(ix introspect.Index) bool { return ix.Search })
	like, err := records.New(&plain, records.Options{Search: []string{"title", "slug"}})
	if err != nil {
		t.Fatal(err)
	}
	search := func(tb *records.Table, terms ...string) []string {
		t.Helper()
		p, err := tb.Fetch(ctx, db.SQL, db.Dialect(), &records.List{Terms: terms, Cols: tb.Columns, Order: tb.FullOrder(nil), Limit: 50})
		if err != nil {
			t.Fatalf("search %q: %v", terms, err)
		}
		var ids []string
		for _, r := range p.Rows {
			ids = append(ids, r[0].Text)
		}
		slices.Sort(ids)
		return ids
	}
	for _, terms := range [][]string{
		{"fast"}, {"FAST"}, {"o-f"}, {"go"}, {"Go", "fast"}, {"100%"}, {"pure_go"}, {"%"}, {"_"}, {"ady"}, {"slow", "steady"},
		{"teady"}, {"xyz"}, {`"words"`}, {`"`}, {"ords\" here"}, {"a"}, {"caf"}, {"going", "nope"}, {"NEAR"}, {"and"}, {"*"}, {"fa*"},
	} {
		if got, want := search(tbl, terms...), search(like, terms...); !slices.Equal(got, want) {
			t.Errorf("search %q: %v through the index, %v with LIKE", terms, got, want)
		}
	}
	// Searching one of the index's columns filters the MATCH to it.
	titleIx, err := records.New(st, records.Options{Search: []string{"title"}})
	if err != nil {
		t.Fatal(err)
	}
	titleLike, err := records.New(&plain, records.Options{Search: []string{"title"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, terms := range [][]string{{"fast"}, {"going"}, {"pure"}, {"slow"}, {"go-f"}, {"eclair"}} { // the last two are in slugs only
		if got, want := search(titleIx, terms...), search(titleLike, terms...); !slices.Equal(got, want) {
			t.Errorf("title search %q: %v through the index, %v with LIKE", terms, got, want)
		}
	}
	// Writes reach the index through its triggers.
	for _, stmt := range []string{`UPDATE posts SET title = 'Quick' WHERE slug = 'go-fast'`, `DELETE FROM posts WHERE slug = 'slow'`,
		`INSERT INTO posts (title, slug) VALUES ('Steady again', 'again')`} {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, terms := range [][]string{{"going"}, {"quick"}, {"steady"}, {"fast"}} {
		if got, want := search(tbl, terms...), search(like, terms...); !slices.Equal(got, want) || len(want) != map[string]int{"going": 0, "quick": 1, "steady": 1, "fast": 1}[terms[0]] {
			t.Errorf("after the writes, search %q: %v through the index, %v with LIKE", terms, got, want)
		}
	}
	// Unicode case folding: the index finds É for é, LIKE does not.
	// The same through the API's search= (a public resource), hostile
	// FTS5 syntax included: answered, never a 5xx.
	schema, err := introspect.Load(ctx, db.Database())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	deny := func(string) func(http.Handler) http.Handler {
		return func(http.Handler) http.Handler { return http.NotFoundHandler() }
	}
	if err := api.Mount(mux, nil, api.Options{Require: deny, Can: func(*http.Request, string) (bool, error) { return false, nil }, Schema: schema,
		Resources: []api.Resource{{Table: "posts", Search: []string{"title", "slug"}, Public: true}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(framework.WithDatabase(r.Context(), db.Database())))
	}))
	defer srv.Close()
	for _, q := range []string{"fast", "steady again", `"words"`, `NEAR(a b)`, `{title} : x`, "*", `'; DROP TABLE posts; --`, "a"} {
		resp, err := http.Get(srv.URL + "/api/posts/?fields=id&page_size=50&search=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Items []struct{ ID json.Number } }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, it.ID.String())
		}
		slices.Sort(ids)
		if want := search(like, strings.Fields(q)...); resp.StatusCode != 200 || err != nil || !slices.Equal(ids, want) {
			t.Errorf("GET ?search=%s: %d %v %v, want %v", q, resp.StatusCode, err, ids, want)
		}
	}
	if got := search(tbl, "éclair"); len(got) != 1 {
		t.Errorf("search éclair through the index: %v", got)
	}
	q := records.NewSQL(db.Dialect())
	q.W("EXPLAIN QUERY PLAN SELECT id FROM posts")
	tbl.Where(q, &records.List{Terms: []string{"fast"}}, nil)
	rows, err := db.SQL.QueryContext(ctx, q.String(), q.Args()...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if !strings.Contains(plan.String(), "posts_search") {
		t.Errorf("the search's plan does not read the index:\n%s", plan.String())
	}
}
