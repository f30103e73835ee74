package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// workerTestArgs is the kind of the jobs these tests enqueue; nothing
// works them (quarry worker only maintains).
type workerTestArgs struct {
	N int `json:"n"`
}

func (workerTestArgs) Kind() string { return "quarry_cli.worker_test" }

// workerDeployment is a tenancy deployment: a main database migrated by
// quarry migrate up, holding the registry, and tenants acme and globex
// with databases of their own; on PostgreSQL also initech, an rls tenant
// (its framework tables, quarry_jobs among them, in a schema of the main
// database), reached as a role of the test's own.
type workerDeployment struct {
	args    []string // --database-url and --rls-role, for quarry worker
	main    *framework.Database
	reg     *tenancy.Registry
	tenants map[string]*framework.Database
}

// newWorkerDeployment makes the deployment on dialect name; all is
// dropped at cleanup.
func newWorkerDeployment(t *testing.T, name dialects.Name) *workerDeployment {
	t.Helper()
	ctx := context.Background()
	url := dbtest.NewURL(t, name)
	if r := quarryIn(t, "", "migrate", "up", "--database-url", url); r.code != 0 {
		t.Fatalf("migrate up: %+v", r)
	}
	main, err := framework.OpenDatabase(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { main.DB.Close() })
	var b [4]byte
	_, _ = rand.Read(b[:])
	opts := tenancy.RegistryOptions{SQLiteDir: t.TempDir(), DatabasePrefix: "qw" + hex.EncodeToString(b[:]) + "_",
		RLSRole: "qw" + hex.EncodeToString(b[:]) + "_tenant"}
	slugs := map[string]tenancy.Mode{"acme": tenancy.ModeDatabase, "globex": tenancy.ModeDatabase}
	if main.Dialect.Capabilities().RowSecurity {
		slugs["initech"] = tenancy.ModeRLS
		t.Cleanup(func() { // last: after the tenants and their pools
			for _, stmt := range []string{"DROP OWNED BY " + opts.RLSRole, "DROP ROLE IF EXISTS " + opts.RLSRole} {
				if _, err := main.DB.ExecContext(context.Background(), stmt); err != nil {
					t.Errorf("cleanup: %s: %v", stmt, err)
				}
			}
		})
	}
	d := &workerDeployment{args: []string{"--database-url", url, "--rls-role", opts.RLSRole}, main: main,
		reg: tenancy.NewRegistry(main, opts), tenants: map[string]*framework.Database{}}
	if err := d.reg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for slug, mode := range slugs {
		tn, err := d.reg.Create(ctx, tenancy.CreateParams{Slug: slug, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // after its pool is closed
			if err := d.reg.Delete(context.Background(), slug, true); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
		db, err := d.reg.Open(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.DB.Close() })
		d.tenants[slug] = db
	}
	return d
}

// enqueueJobs stores n jobs in db's queue, with opts (zero: available
// now), and returns their ids.
func enqueueJobs(t *testing.T, db *framework.Database, queue string, n int, opts jobs.InsertOpts) []int64 {
	t.Helper()
	c, err := jobs.New(jobs.NewSQL(db), jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Queue = queue
	var ids []int64
	for i := range n {
		res, err := c.Enqueue(context.Background(), workerTestArgs{N: i}, &opts)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	return ids
}

// execSQL runs a statement of one argument on db.
func execSQL(t *testing.T, db *framework.Database, query string, arg any) {
	t.Helper()
	if _, err := db.DB.ExecContext(context.Background(), strings.ReplaceAll(query, "?", db.Dialect.Placeholder(1)), arg); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestWorkerStatusTenants runs quarry worker --status --tenants on a
// deployment of each dialect: each tenant's lines list its own jobs (its
// queue, states and counts) and no other's, an rls tenant's included on
// PostgreSQL, the main database's are listed as (main), paused queues
// are named with their tenant. Then a tenant whose database cannot be
// opened gets a FAILED line, without its URL's password, the others are
// still listed, and the exit status is 1; an rls tenant without a schema
// (made before they had one) is said to have no jobs of its own.
func TestWorkerStatusTenants(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			d := newWorkerDeployment(t, name)
			_, rls := d.tenants["initech"]
			enqueueJobs(t, d.main, "main_q", 1, jobs.InsertOpts{})
			enqueueJobs(t, d.tenants["acme"], "acme_q", 2, jobs.InsertOpts{})
			enqueueJobs(t, d.tenants["acme"], "acme_q", 1, jobs.InsertOpts{Delay: time.Hour})
			enqueueJobs(t, d.tenants["globex"], "globex_q", 3, jobs.InsertOpts{})
			if rls {
				enqueueJobs(t, d.tenants["initech"], "initech_q", 4, jobs.InsertOpts{})
			}
			gc, err := jobs.New(jobs.NewSQL(d.tenants["globex"]), jobs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := gc.Pause(context.Background(), "globex_q"); err != nil {
				t.Fatal(err)
			}

			status := func(want int) (string, cliRun) {
				t.Helper()
				r := quarryIn(t, "", append([]string{"worker", "--status", "--tenants"}, d.args...)...)
				if r.code != want {
					t.Fatalf("worker --status --tenants: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
				}
				return strings.TrimSuffix(collapse(r.stdout), "\n"), r
			}
			queueOf := map[string]string{"(main)": "main_q", "acme": "acme_q", "globex": "globex_q", "initech": "initech_q"}
			checkLines := func(out string, want ...string) {
				t.Helper()
				lines := strings.Split(out, "\n")
				for _, w := range want {
					if !slices.Contains(lines, w) {
						t.Errorf("no line %q in:\n%s", w, out)
					}
				}
				for _, l := range lines[1:] {
					f := strings.Fields(l)
					if len(f) == 0 {
						t.Errorf("an empty line in:\n%s", out)
						continue
					}
					switch _, known := queueOf[f[0]]; {
					case !known && f[0] != "paused:":
						t.Errorf("line %q names no tenant (an error over several lines?)", l)
					case len(f) == 4 && queueOf[f[0]] != f[1]: // TENANT QUEUE STATE JOBS
						t.Errorf("line %q lists another's queue", l)
					}
				}
			}
			want := []string{"TENANT QUEUE STATE JOBS", "(main) main_q available 1", "acme acme_q available 2", "acme acme_q scheduled 1"}
			if rls {
				want = append(want, "initech initech_q available 4")
			}
			out, _ := status(0)
			checkLines(out, append(want, "globex globex_q available 3")...)
			if !strings.Contains(out, "\npaused: globex_q in globex (since ") || strings.Count(out, "paused:") != 1 {
				t.Errorf("paused queues:\n%s", out)
			}

			// globex's database is out of reach: its line says so, the
			// others are still counted. Its URL is put back before the
			// tenant is dropped (cleanups run last first).
			globex, err := d.reg.Show(context.Background(), "globex")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				execSQL(t, d.main, "UPDATE quarry_tenants SET database_url = ? WHERE slug = 'globex'", globex.DatabaseURL)
			})
			execSQL(t, d.main, "UPDATE quarry_tenants SET database_url = ? WHERE slug = 'globex'", "postgres://u:topsecret@127.0.0.1:1/nodb?connect_timeout=2&sslmode=disable")
			out, r := status(1)
			checkLines(out, want...)
			if !strings.Contains(out, "\nglobex FAILED: ") || strings.Contains(out, "globex_q") {
				t.Errorf("the unreachable tenant's line:\n%s", out)
			}
			if wantErr := fmt.Sprintf("the jobs of 1 of %d tenants could not be read: globex\n", len(d.tenants)); !strings.Contains(r.stderr, wantErr) {
				t.Errorf("stderr %q lacks %q", r.stderr, wantErr)
			}
			if strings.Contains(r.stdout+r.stderr, "topsecret") {
				t.Errorf("printed the password:\n%s\n%s", r.stdout, r.stderr)
			}
			if !rls {
				return
			}

			// An rls tenant made before they had a schema: no jobs of its
			// own (its quarry_jobs would be the main database's).
			initech, err := d.reg.Show(context.Background(), "initech")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { // so that the tenant's deletion drops its schema
				execSQL(t, d.main, "UPDATE quarry_tenants SET schema_name = ? WHERE slug = 'initech'", initech.Schema)
			})
			execSQL(t, d.main, "UPDATE quarry_tenants SET schema_name = '' WHERE slug = ?", "initech")
			out, _ = status(1)
			if !strings.Contains(out, "\ninitech (rls, made before its schema: no jobs of its own)") || strings.Contains(out, "initech_q") {
				t.Errorf("a schema-less rls tenant:\n%s", out)
			}
		})
	}
}

// TestWorkerTenants runs quarry worker --tenants on a deployment of each
// dialect until it has done the maintenance of every database: a
// scheduled job come due is made available in acme, in the main database
// and, on PostgreSQL, in the rls tenant initech's schema; a cancelled job
// past retention is deleted from globex, a recent one kept. It then stops
// on the context's end, exit status 0.
func TestWorkerTenants(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			d := newWorkerDeployment(t, name)
			ctx := context.Background()
			// A job scheduled in an hour, then made due (run_at = its
			// created_at, in the database's own format).
			due := func(db *framework.Database) int64 {
				id := enqueueJobs(t, db, "default", 1, jobs.InsertOpts{Delay: time.Hour})[0]
				execSQL(t, db, "UPDATE quarry_jobs SET run_at = created_at WHERE id = ?", id)
				return id
			}
			dueIn := map[string]int64{"(main)": due(d.main)}
			for _, slug := range []string{"acme", "initech"} {
				if db := d.tenants[slug]; db != nil {
					dueIn[slug] = due(db)
				}
			}
			// A job cancelled eight days ago: past the 7-day retention.
			gdb := d.tenants["globex"]
			old := enqueueJobs(t, gdb, "default", 1, jobs.InsertOpts{RunAt: time.Now().Add(-8 * 24 * time.Hour)})[0]
			gc, err := jobs.New(jobs.NewSQL(gdb), jobs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := gc.Cancel(ctx, old); err != nil {
				t.Fatal(err)
			}
			execSQL(t, gdb, "UPDATE quarry_jobs SET finished_at = run_at WHERE id = ?", old)
			// And a job cancelled now, which stays.
			recent := enqueueJobs(t, gdb, "default", 1, jobs.InsertOpts{})[0]
			if err := gc.Cancel(ctx, recent); err != nil {
				t.Fatal(err)
			}

			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			var r cliRun
			wg.Go(func() {
				r = quarryCtx(runCtx, append([]string{"worker", "--tenants", "--refresh", "100ms", "--grace", "1s"}, d.args...)...)
			})
			stopped := false
			t.Cleanup(func() {
				if !stopped {
					stop()
					wg.Wait()
				}
			})
			state := func(db *framework.Database, id int64) string {
				var s string
				switch err := db.DB.QueryRowContext(ctx, "SELECT state FROM quarry_jobs WHERE id = "+db.Dialect.Placeholder(1), id).Scan(&s); {
				case errors.Is(err, sql.ErrNoRows):
					return "deleted"
				case err != nil:
					return err.Error()
				}
				return s
			}
			for label, id := range dueIn {
				db := d.tenants[label]
				if label == "(main)" {
					db = d.main
				}
				waitUntil(t, 30*time.Second, label+"'s due job made available", func() bool { return state(db, id) == "available" })
			}
			waitUntil(t, 30*time.Second, "globex's old cancelled job deleted", func() bool { return state(gdb, old) == "deleted" })
			if s := state(gdb, recent); s != "cancelled" {
				t.Errorf("globex's recent cancelled job: %s", s)
			}
			stop()
			wg.Wait()
			stopped = true
			if r.code != 0 {
				t.Errorf("worker --tenants: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "jobs maintenance running for the main database and every active tenant") {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}
}

// quarryCtx runs the CLI in-process until it returns (for a long-running
// command, until ctx ends).
func quarryCtx(ctx context.Context, args ...string) cliRun {
	var out, errb bytes.Buffer
	code := runRoot(ctx, newRootCmd(&out, &errb), args, &errb)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// waitUntil polls cond until it holds, failing the test past timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkerFlagErrors: contradictory or pointless flags are usage errors
// (exit 2) that name the flag, before any database is opened; a main
// database without quarry_jobs is refused with the command that makes it.
func TestWorkerFlagErrors(t *testing.T) {
	t.Parallel()
	empty := "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--max-tenants", "5"}, 2, "--max-tenants needs --tenants"},
		{[]string{"--refresh", "1s"}, 2, "--refresh needs --tenants"},
		{[]string{"--status", "--refresh", "1s"}, 2, "--refresh needs --tenants"},
		{[]string{"--status", "--rls-role", "r"}, 2, "--rls-role needs --tenants"},
		{[]string{"--tenants", "--rls-role", ""}, 2, "--rls-role is empty"},
		{[]string{"--status", "--tenants", "--max-tenants", "5"}, 2, "--max-tenants does nothing with --status"},
		{[]string{"--status", "--tenants", "--refresh", "1s"}, 2, "--refresh does nothing with --status"},
		{[]string{"--status", "--grace", "1s"}, 2, "--grace does nothing with --status"},
		{[]string{"--tenants", "--max-tenants", "0"}, 2, "--max-tenants 0: want at least 1"},
		{[]string{"--tenants", "--refresh", "0s"}, 2, "--refresh 0s: want a positive duration"},
		{[]string{"--tenants", "--refresh", "-1s"}, 2, "--refresh -1s: want a positive duration"},
		{[]string{"--grace", "-1s"}, 2, "--grace -1s: want zero or more"},
		{[]string{"--tenants", "--max-tenants", "many"}, 2, `invalid argument "many"`},
		{[]string{"--tenants", "extra"}, 2, "accepts 0 arg(s), received 1"},
		{[]string{"--tenants", "--database-url", "oracle://x/y"}, 2, "unknown database dialect"},
		{[]string{"--tenants", "--status", "--database-url", empty}, 1, "has no quarry_jobs table: run 'quarry migrate up' first"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := quarryIn(t, "", append([]string{"worker"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.stderr)
			}
		})
	}
}
