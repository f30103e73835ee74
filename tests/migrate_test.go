package tests

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// frameworkMigrations is the number of the framework's migrations for d.
func frameworkMigrations(t *testing.T, d dialects.Dialect) int {
	t.Helper()
	names, err := fs.Glob(d.Migrations(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("framework migrations of %s: %v", d.Name(), err)
	}
	return len(names)
}

// tableExists reports whether a table is visible in db.
func tableExists(t *testing.T, db *dbtest.DB, table string) bool {
	t.Helper()
	_, err := db.SQL.ExecContext(context.Background(), "SELECT 1 FROM "+db.Dialect().QuoteIdent(table)+" WHERE 1 = 0")
	return err == nil
}

// TestFrameworkMigrationsUpDown applies the framework's migrations, undoes
// them all and applies them again, on every dialect.
func TestFrameworkMigrationsUpDown(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		m, err := migrate.New(db.Database(), migrate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Up(ctx)
		if n := frameworkMigrations(t, db.Dialect()); err != nil || len(res) != n {
			t.Fatalf("up: %v, %v", res, err)
		}
		for _, table := range []string{"quarry_users", "quarry_groups", "quarry_permissions", "quarry_user_groups",
			"quarry_group_permissions", "quarry_user_permissions", "quarry_audit_log", "quarry_sessions", "quarry_login_failures", migrate.FrameworkTable} {
			if !tableExists(t, db, table) {
				t.Errorf("table %s missing after up", table)
			}
		}
		if tableExists(t, db, migrate.AppTable) {
			t.Errorf("the framework's migrations wrote goose's app table %s", migrate.AppTable)
		}
		if res, err := m.Up(ctx); err != nil || len(res) != 0 {
			t.Errorf("second up: %v, %v; want nothing to do", res, err)
		}
		if res, err := m.DownTo(ctx, migrate.Framework, 0); err != nil || len(res) != frameworkMigrations(t, db.Dialect()) {
			t.Fatalf("down-to 0: %v, %v", res, err)
		}
		if tableExists(t, db, "quarry_users") || tableExists(t, db, "quarry_audit_log") {
			t.Error("tables remain after down-to 0")
		}
		if _, err := m.Down(ctx, migrate.Framework); err == nil || !strings.Contains(err.Error(), "no applied migration") {
			t.Errorf("down with nothing applied: %v", err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		sts, err := m.Status(ctx)
		if err != nil || len(sts) != frameworkMigrations(t, db.Dialect()) || !sts[0].Applied || !sts[len(sts)-1].Applied {
			t.Errorf("status = %+v, %v", sts, err)
		}
		if _, err := m.Down(ctx, migrate.App); err != migrate.ErrNoAppMigrations {
			t.Errorf("app down without app migrations: %v", err)
		}
	})
}

// blogMigrations copies the blog's migrations into a fresh app directory
// and returns it: migrations/<dialect>/ for every dialect, as in the demo.
func blogMigrations(t *testing.T) string {
	t.Helper()
	app := t.TempDir()
	for _, name := range dialects.All() {
		src := filepath.Join(repoRoot(t), "examples", "blog", "migrations", string(name))
		dst := filepath.Join(app, "migrations", string(name))
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

// blogMigrationNames are the names of the blog's migrations of a dialect,
// in order.
func blogMigrationNames(t *testing.T, name dialects.Name) []string {
	t.Helper()
	names, err := fs.Glob(os.DirFS(filepath.Join(repoRoot(t), "examples", "blog", "migrations", string(name))), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("the blog's %s migrations: %v %q", name, err, names)
	}
	return names
}

// TestMigrateCLI drives `quarry migrate` from an app's root on every
// dialect: framework first, then the app's, status of both, down, redo,
// up-to, down-to and create.
func TestMigrateCLI(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			app := blogMigrations(t)
			env := []string{"DATABASE_URL=" + dbtest.NewURL(t, name)}
			run := quarryExpect(t, app, env)
			up := run(0, "migrate", "up")
			// The framework's migrations, in order, then the app's.
			var wantOrder []string
			names, _ := fs.Glob(openURL(t, env[0][len("DATABASE_URL="):]).Dialect().Migrations(), "*.sql")
			for _, n := range names {
				wantOrder = append(wantOrder, "framework up   "+n)
			}
			blog := blogMigrationNames(t, name)
			for _, n := range blog {
				wantOrder = append(wantOrder, "app       up   "+n)
			}
			if got := strings.Split(strings.TrimSpace(up.stdout), "\n"); strings.Join(got, "|") != strings.Join(wantOrder, "|") {
				t.Errorf("up printed %q; want %q", got, wantOrder)
			}
			st := run(0, "migrate", "status")
			for _, want := range []string{"framework  1", "00001_initial.sql", "app        1", "00001_blog.sql", fmt.Sprintf("app        %d", len(blog)), blog[len(blog)-1]} {
				if !strings.Contains(st.stdout, want) {
					t.Errorf("status lacks %q:\n%s", want, st.stdout)
				}
			}
			if strings.Contains(st.stdout, "pending") {
				t.Errorf("pending after up:\n%s", st.stdout)
			}
			if r := run(0, "migrate", "up"); !strings.Contains(r.stdout, "nothing to do") {
				t.Errorf("second up: %s", r.stdout)
			}

			created := run(0, "migrate", "create", "Add tags index!")
			next := len(blog) + 1
			file := fmt.Sprintf("%05d_add_tags_index.sql", next)
			path := filepath.Join(app, "migrations", string(name), file)
			if !strings.Contains(created.stdout, file) {
				t.Fatalf("create printed %q", created.stdout)
			}
			idx := "-- +goose Up\nCREATE INDEX tags_name_idx ON tags (name);\n-- +goose Down\nDROP INDEX tags_name_idx" + map[dialects.Name]string{dialects.MySQL: " ON tags"}[name] + ";\n"
			if err := os.WriteFile(path, []byte(idx), 0o644); err != nil {
				t.Fatal(err)
			}
			run(0, "migrate", "up-to", strconv.Itoa(next))
			if r := run(0, "migrate", "redo"); !strings.Contains(r.stdout, "down "+file) || !strings.Contains(r.stdout, "up   "+file) {
				t.Errorf("redo printed %q", r.stdout)
			}
			run(0, "migrate", "down")
			if r := run(0, "migrate", "status"); !strings.Contains(r.stdout, "pending") {
				t.Errorf("after down, status shows nothing pending:\n%s", r.stdout)
			}
			run(0, "migrate", "down-to", "0")
			// The framework's tables stay; the app's are gone.
			db := openURL(t, env[0][len("DATABASE_URL="):])
			if !tableExists(t, db, "quarry_users") || tableExists(t, db, "posts") {
				t.Error("down-to 0 on the app set touched the wrong tables")
			}
			run(0, "migrate", "down-to", "0", "--framework")
			if tableExists(t, db, "quarry_users") {
				t.Error("framework down-to 0 left quarry_users")
			}

			// Errors: bad version, missing explicit --dir, unknown verb.
			if r := run(2, "migrate", "up-to", "two"); !strings.Contains(r.stderr, `VERSION "two" is not a migration number`) {
				t.Errorf("bad version: %s", r.stderr)
			}
			if r := run(1, "migrate", "status", "--dir", "nope"); !strings.Contains(r.stderr, "migrations directory") {
				t.Errorf("missing --dir: %s", r.stderr)
			}
			bad := quarry(t, app, []string{"DATABASE_URL=oracle://x/y"}, "migrate", "create", "x")
			if bad.code != 2 || !strings.Contains(bad.stderr, "holds one directory per dialect") {
				t.Errorf("create without a usable DATABASE_URL: %d %s", bad.code, bad.stderr)
			}
		})
	}
}

func openURL(t *testing.T, raw string) *dbtest.DB {
	t.Helper()
	db, u, err := dialects.Open(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &dbtest.DB{Name: u.Dialect.Name(), URL: raw, Parsed: u, SQL: db}
}

// TestMigrateConcurrent starts two `quarry migrate up` processes at once
// on one database: both succeed, every migration is applied exactly once.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			app := blogMigrations(t)
			url := dbtest.NewURL(t, name)
			env := []string{"DATABASE_URL=" + url}
			const procs = 3
			results := make([]cliResult, procs)
			var wg sync.WaitGroup
			for i := range procs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = quarry(t, app, env, "migrate", "up")
				}()
			}
			wg.Wait()
			applied := 0
			for i, r := range results {
				if r.code != 0 {
					t.Errorf("process %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
				}
				applied += strings.Count(r.stdout, " up ")
			}
			blog := len(blogMigrationNames(t, name))
			if want := frameworkMigrations(t, openURL(t, url).Dialect()) + blog; applied != want {
				t.Errorf("%d migrations applied across %d processes; want %d in all", applied, procs, want)
			}
			db := openURL(t, url)
			for table, want := range map[string]int{migrate.FrameworkTable: frameworkMigrations(t, db.Dialect()), migrate.AppTable: blog} {
				var n int
				q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE version_id > 0", table)
				if err := db.SQL.QueryRow(q).Scan(&n); err != nil || n != want {
					t.Errorf("%s has %d version rows (%v); want %d", table, n, err, want)
				}
			}
		})
	}
}
