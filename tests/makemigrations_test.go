package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// blogApp copies the demo's DDL and migrations into a fresh app directory.
func blogApp(t *testing.T) string {
	t.Helper()
	app := blogMigrations(t)
	src := filepath.Join(repoRoot(t), "examples", "blog", "sql")
	if err := os.CopyFS(filepath.Join(app, "sql"), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return app
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// TestMakeMigrationsCLI drives `quarry makemigrations` from an app's root on
// every dialect: no changes, --check, --dry-run, writing a file that
// `migrate up` applies, and bad input.
func TestMakeMigrationsCLI(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			app := blogApp(t)
			env := []string{"DATABASE_URL=" + dbtest.NewURL(t, name)}
			run := quarryExpect(t, app, env)
			if r := run(0, "makemigrations"); strings.TrimSpace(r.stdout) != "no changes" {
				t.Errorf("unchanged DDL: %q", r.stdout)
			}
			schema := filepath.Join(app, "sql", string(name), "schema.sql")
			appendFile(t, schema, "\nCREATE TABLE comments (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(500) NOT NULL);\n")
			if r := run(1, "makemigrations", "--check"); !strings.Contains(r.stderr, "create table comments") || !strings.Contains(r.stderr, "migrations are behind the DDL") {
				t.Errorf("--check: %s", r.stderr)
			}
			if r := run(0, "makemigrations", "--dry-run"); !strings.Contains(r.stdout, "-- +goose Up") || !strings.Contains(strings.ToLower(r.stdout), "create table") {
				t.Errorf("--dry-run printed %q", r.stdout)
			}
			have := len(blogMigrationNames(t, name))
			if entries, _ := os.ReadDir(filepath.Join(app, "migrations", string(name))); len(entries) != have {
				t.Errorf("--check or --dry-run wrote a file: %d files, want the blog's %d", len(entries), have)
			}
			r := run(0, "makemigrations")
			comments := fmt.Sprintf("%05d_create_table_comments.sql", have+1)
			if !strings.Contains(r.stdout, "created migrations/"+string(name)+"/"+comments) {
				t.Fatalf("makemigrations printed %q", r.stdout)
			}
			run(0, "makemigrations", "--check")
			if r := run(0, "migrate", "up"); !strings.Contains(r.stdout, comments) {
				t.Errorf("migrate up: %s", r.stdout)
			}

			// Bad input: a DDL syntax error names the file, the line and the database's message.
			appendFile(t, schema, "\nCREATE TABLE broken (id INTEGER NOT NULL PRIMARY KEY,, x INT);\n")
			if r := run(1, "makemigrations"); !strings.Contains(r.stderr, "the DDL does not apply") || !strings.Contains(r.stderr, "schema.sql:") || !strings.Contains(r.stderr, "CREATE TABLE broken") {
				t.Errorf("syntax error: %s", r.stderr)
			}
			// A migration that no longer applies is named, with the database's message.
			badName := fmt.Sprintf("%05d_bad.sql", have+2)
			bad := filepath.Join(app, "migrations", string(name), badName)
			if err := os.WriteFile(bad, []byte("-- +goose Up\nALTER TABLE nowhere ADD COLUMN x INTEGER;\n-- +goose Down\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := run(1, "makemigrations"); !strings.Contains(r.stderr, "the existing migrations do not apply") || !strings.Contains(r.stderr, badName+" (up) failed") ||
				!strings.Contains(r.stderr, "while running:\n    ALTER TABLE nowhere ADD COLUMN x INTEGER") {
				t.Errorf("broken migration: %s", r.stderr)
			}
			os.Remove(bad)
		})
	}
}

// TestMakeMigrationsErrors covers the environment's failures: an
// unreachable dev server, an unwritable migrations directory, a missing
// schema directory, no dialect.
func TestMakeMigrationsErrors(t *testing.T) {
	t.Parallel()
	app := blogApp(t)
	if r := quarry(t, app, nil, "makemigrations", "--dialect", "postgres", "--dev-url", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"); r.code != 1 || !strings.Contains(r.stderr, "no scratch database: dev server") {
		t.Errorf("unreachable dev server: %d %s", r.code, r.stderr)
	}
	if r := quarry(t, app, nil, "makemigrations", "--dialect", "postgres"); r.code != 1 || !strings.Contains(r.stderr, "needs a development server") {
		t.Errorf("no dev server: %d %s", r.code, r.stderr)
	}
	mysqlSchema := filepath.Join(app, "sql", "mysql", "schema.sql")
	appendFile(t, mysqlSchema, "\nCREATE FUNCTION one() RETURNS INT DETERMINISTIC RETURN 1;\n")
	if r := quarry(t, app, nil, "makemigrations", "--dialect", "mysql"); r.code != 1 || !strings.Contains(r.stderr, "cannot carry these through yet, and will not drop them silently: ") {
		t.Errorf("MySQL function: %d %s", r.code, r.stderr)
	}
	if r := quarry(t, app, []string{"DATABASE_URL=sqlite:./typo.db"}, "inspectdb"); r.code != 1 || !strings.Contains(r.stderr, "no SQLite database to inspect at ./typo.db") {
		t.Errorf("inspectdb of a missing file: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(app, "typo.db")); err == nil {
		t.Error("inspectdb created the SQLite file it was asked to read")
	}
	if r := quarry(t, app, nil, "makemigrations", "--dialect", "oracle"); r.code != 2 || !strings.Contains(r.stderr, "unknown database dialect") {
		t.Errorf("bad dialect: %d %s", r.code, r.stderr)
	}
	if r := quarry(t, app, nil, "makemigrations", "--schema", "nope"); r.code != 2 || !strings.Contains(r.stderr, "schema directory nope: not found") {
		t.Errorf("missing schema: %d %s", r.code, r.stderr)
	}
	schema := filepath.Join(app, "sql", "sqlite", "schema.sql")
	appendFile(t, schema, "\nCREATE TABLE extra (id INTEGER NOT NULL PRIMARY KEY);\n")
	dir := filepath.Join(app, "migrations", "sqlite")
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if os.Geteuid() == 0 {
		// root writes anywhere: make the directory a file instead.
		os.Chmod(dir, 0o755)
		ro := filepath.Join(app, "ro")
		if err := os.WriteFile(ro, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if r := quarry(t, app, []string{"DATABASE_URL=sqlite:x.db"}, "makemigrations", "--dir", ro+"/sub"); r.code != 1 || !strings.Contains(r.stderr, "write the migration") {
			t.Errorf("unwritable dir: %d %s", r.code, r.stderr)
		}
		return
	}
	if r := quarry(t, app, []string{"DATABASE_URL=sqlite:x.db"}, "makemigrations"); r.code != 1 || !strings.Contains(r.stderr, "write the migration") {
		t.Errorf("unwritable dir: %d %s", r.code, r.stderr)
	}
}

// TestInspectDBCLI adopts a live database on every dialect: inspectdb
// writes its DDL, and makemigrations then finds that DDL and the migrations
// that built the database in agreement. A view comes along.
func TestInspectDBCLI(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			app := blogApp(t)
			url := dbtest.NewURL(t, name)
			env := []string{"DATABASE_URL=" + url}
			view := filepath.Join(app, "migrations", string(name), fmt.Sprintf("%05d_view.sql", len(blogMigrationNames(t, name))+1))
			if err := os.WriteFile(view, []byte("-- +goose Up\nCREATE VIEW published_posts AS SELECT id, title FROM posts WHERE published;\n-- +goose Down\nDROP VIEW published_posts;\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := quarry(t, app, env, "migrate", "up"); r.code != 0 {
				t.Fatalf("migrate up: %s", r.stderr)
			}
			out := filepath.Join(app, "adopted", "schema.sql")
			r := quarry(t, app, env, "inspectdb", "--out", out)
			if r.code != 0 || !strings.Contains(r.stdout, "wrote ") {
				t.Fatalf("inspectdb: %d %s", r.code, r.stderr)
			}
			ddl, _ := os.ReadFile(out)
			for _, want := range []string{"authors", "post_tags", "published_posts"} {
				if !strings.Contains(string(ddl), want) {
					t.Errorf("inspected DDL lacks %s:\n%s", want, ddl)
				}
			}
			if strings.Contains(string(ddl), "goose_db_version") || strings.Contains(string(ddl), "quarry_users") {
				t.Errorf("inspected DDL holds bookkeeping or framework tables:\n%s", ddl)
			}
			if r := quarry(t, app, env, "makemigrations", "--check", "--schema", filepath.Dir(out)); r.code != 0 || strings.TrimSpace(r.stdout) != "no changes" {
				t.Errorf("adopted DDL vs migrations: %d %s%s\n%s", r.code, r.stdout, r.stderr, ddl)
			}
		})
	}
}

// TestMakeMigrationsConcurrentIndexes (PostgreSQL): --concurrent-indexes
// builds indexes on existing tables CONCURRENTLY in a NO TRANSACTION file
// that migrate up and down apply; an index on a new table stays plain.
func TestMakeMigrationsConcurrentIndexes(t *testing.T) {
	t.Parallel()
	app := blogApp(t)
	env := []string{"DATABASE_URL=" + dbtest.NewURL(t, dialects.Postgres)}
	appendFile(t, filepath.Join(app, "sql", "postgres", "schema.sql"),
		"\nCREATE INDEX posts_title_idx ON posts (title);\nCREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT);\nCREATE INDEX notes_body_idx ON notes (body);\n")
	if r := quarry(t, app, env, "makemigrations", "--concurrent-indexes", "--name", "indexes"); r.code != 0 {
		t.Fatalf("makemigrations: %s", r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(app, "migrations", "postgres", fmt.Sprintf("%05d_indexes.sql", len(blogMigrationNames(t, dialects.Postgres))+1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-- +goose NO TRANSACTION", `CREATE INDEX CONCURRENTLY "posts_title_idx"`, `CREATE INDEX "notes_body_idx"`, `DROP INDEX CONCURRENTLY "posts_title_idx"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("migration lacks %q:\n%s", want, b)
		}
	}
	for _, args := range [][]string{{"migrate", "up"}, {"migrate", "down"}, {"migrate", "up"}, {"makemigrations", "--check"}} {
		if r := quarry(t, app, env, args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
}

// TestMakeMigrationsInterrupted (PostgreSQL): Ctrl-C while the DDL runs on
// a scratch database stops the command, and the scratch databases are
// dropped on the way out.
func TestMakeMigrationsInterrupted(t *testing.T) {
	t.Parallel()
	app := blogApp(t)
	url := dbtest.NewURL(t, dialects.Postgres)
	appendFile(t, filepath.Join(app, "sql", "postgres", "schema.sql"), "\nSELECT pg_sleep(60);\n")
	cmd := exec.Command(quarryBin, "makemigrations")
	cmd.Dir = app
	cmd.Env = append(cleanEnv(), "DATABASE_URL="+url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	admin := openURL(t, url)
	// Find our scratch database by the sleep running in it.
	var scratch string
	deadline := time.Now().Add(30 * time.Second)
	for scratch == "" && time.Now().Before(deadline) {
		_ = admin.SQL.QueryRow(`SELECT datname FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND datname LIKE 'quarry_scratch_%' LIMIT 1`).Scan(&scratch)
		time.Sleep(100 * time.Millisecond)
	}
	if scratch == "" {
		cmd.Process.Kill()
		t.Fatal("the scratch database never ran the DDL")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(stderr.String(), "quarry: interrupted") {
			t.Errorf("after Ctrl-C: %v, stderr %q", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("makemigrations did not stop on Ctrl-C")
	}
	var n int
	if err := admin.SQL.QueryRow("SELECT COUNT(*) FROM pg_database WHERE datname = $1", scratch).Scan(&n); err != nil || n != 0 {
		t.Errorf("scratch database %s left behind after Ctrl-C (%v)\n%s", scratch, err, stderr.String())
	}
}

// TestMakeMigrationsTenantScoped: `quarry makemigrations` on PostgreSQL
// writes the row-level security statements of a table with the
// -- quarry:tenant-scoped hint (default role quarry_tenant) and `migrate up`
// applies them; on MySQL and SQLite the hint is refused, with the reason.
func TestMakeMigrationsTenantScoped(t *testing.T) {
	t.Parallel()
	table := "\n-- quarry:tenant-scoped\nCREATE TABLE memos (id BIGINT NOT NULL PRIMARY KEY, tenant_id BIGINT NOT NULL, body TEXT NOT NULL);\n"
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			app := blogApp(t)
			run := quarryExpect(t, app, []string{"DATABASE_URL=" + dbtest.NewURL(t, name)})
			appendFile(t, filepath.Join(app, "sql", string(name), "schema.sql"), table)
			if name != dialects.Postgres {
				if r := run(1, "makemigrations"); !strings.Contains(r.stderr, "has no row-level security") || !strings.Contains(r.stderr, "memos") {
					t.Errorf("the hint on %s: %s", name, r.stderr)
				}
				return
			}
			r := run(0, "makemigrations", "--dry-run")
			for _, want := range []string{`ALTER TABLE "memos" FORCE ROW LEVEL SECURITY;`, `CREATE POLICY "tenant_isolation" ON "memos"`,
				`GRANT SELECT, INSERT, UPDATE, DELETE ON "memos" TO "quarry_tenant";`, `DROP POLICY "tenant_isolation" ON "memos";`} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("makemigrations lacks %q:\n%s", want, r.stdout)
				}
			}
			run(0, "makemigrations")
			run(0, "migrate", "up")
			run(0, "makemigrations", "--check")
		})
	}
}
