package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// tenantMarkArgs is a job that writes an author named after the tenant
// and database its worker's context carries.
type tenantMarkArgs struct {
	Label string `json:"label"`
}

func (tenantMarkArgs) Kind() string { return "tests.tenant_mark" }

// TestTenantJobs enqueues a job through a client built on the main
// database from a request of tenant acme, on every dialect: the job is
// stored in acme's database, worked by tenancy.Workers with acme's tenant
// and database in its context (its effect is in acme, absent from globex
// and the main database) and, as WorkerOptions.Main and SharedTables say,
// the main database as tenancy.Shared and the shared tables as
// tenancy.SharedTables; it is listed by acme's admin and not by globex's.
func TestTenantJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newTenantSite(t, db)
		ctx := context.Background()

		// The app's insert-only client, on the main database, as the demo's.
		enq, err := jobs.New(jobs.NewSQL(s.app.Database()), jobs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		s.app.Router().HandleFunc("/test/enqueue", func(w http.ResponseWriter, r *http.Request) {
			res, err := enq.Enqueue(r.Context(), tenantMarkArgs{Label: r.URL.Query().Get("label")}, nil)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			// Get finds it through the same request's database.
			if _, err := enq.Get(r.Context(), res.ID); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})

		// What each run saw of the main side: Shared must be the main
		// database (it holds the main side's author, not the tenants').
		var sharedMu sync.Mutex
		var sharedSeen []string
		reg := jobs.NewRegistry()
		jobs.Register[tenantMarkArgs](reg, jobs.WorkFunc[tenantMarkArgs](func(ctx context.Context, j *jobs.Job[tenantMarkArgs]) error {
			tn, d := tenancy.From(ctx), framework.DatabaseFrom(ctx)
			if tn == nil || d == nil {
				return jobs.Cancel(errors.New("no tenant or database in the job's context"))
			}
			seen := "job " + j.Args.Label + ": "
			if sh := tenancy.Shared(ctx); sh != s.app.Database() {
				seen += "Shared is not the main database"
			} else {
				var n int
				err := sh.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM authors WHERE email = 'main@example.test'").Scan(&n)
				seen += fmt.Sprintf("main's authors %d (%v), shared tables %v", n, err, tenancy.SharedTables(ctx))
			}
			sharedMu.Lock()
			sharedSeen = append(sharedSeen, seen)
			sharedMu.Unlock()
			ph := d.Dialect.Placeholder
			_, err := d.DB.ExecContext(ctx, "INSERT INTO authors (name, email, bio) VALUES ("+ph(1)+", "+ph(2)+", "+ph(3)+")",
				"job "+j.Args.Label+" in "+tn.Slug, j.Args.Label+"@jobs.test", "from a job")
			return err
		}))
		w, err := tenancy.NewWorkers(tenancy.WorkerOptions{Tenants: s.reg.List, Pools: s.pools, Refresh: 100 * time.Millisecond, Grace: time.Second,
			Main: s.app.Database(), SharedTables: []string{"tags"},
			NewClient: func(_ *tenancy.Tenant, d *framework.Database) (*jobs.Client, error) {
				return jobs.New(jobs.NewSQL(d), jobs.Config{Registry: reg, PollInterval: 20 * time.Millisecond,
					Queues: map[string]jobs.QueueConfig{"default": {MaxWorkers: 2}}, Logger: s.app.Logger()})
			}})
		if err != nil {
			t.Fatal(err)
		}

		// Enqueued before any worker runs: stored in acme's database only.
		a := s.browserAt(t, "acme.example.test")
		if resp, body := a.do("GET", "/test/enqueue?label=one", nil, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("enqueue in acme: %d %s", resp.StatusCode, body)
		}
		if resp, body := s.browserAt(t, "example.test").do("GET", "/t/acme/test/enqueue?label=two", nil, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("enqueue in acme by path: %d %s", resp.StatusCode, body)
		}
		if n := s.count("acme", "SELECT COUNT(*) FROM quarry_jobs WHERE kind = 'tests.tenant_mark'"); n != 2 {
			t.Errorf("acme's database holds %d jobs, want 2", n)
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM quarry_jobs"); n != 0 {
			t.Errorf("globex's database holds %d jobs, want 0", n)
		}
		var mainJobs int
		if err := s.app.Database().DB.QueryRow("SELECT COUNT(*) FROM quarry_jobs").Scan(&mainJobs); err != nil || mainJobs != 0 {
			t.Errorf("the main database holds %d jobs (%v), want 0", mainJobs, err)
		}

		runCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { _ = w.Run(runCtx) })
		t.Cleanup(func() { stop(); wg.Wait() }) // before the pools close
		waitFor(t, 30*time.Second, "acme's jobs ran", func() bool {
			return s.count("acme", "SELECT COUNT(*) FROM authors WHERE bio = 'from a job'") == 2
		})
		// acme's jobs may finish before globex's client has started: wait.
		waitFor(t, 10*time.Second, "workers running for acme and globex", func() bool {
			return strings.Join(w.Running(), ",") == "acme,globex"
		})
		if n := s.count("acme", "SELECT COUNT(*) FROM authors WHERE name IN ('job one in acme', 'job two in acme')"); n != 2 {
			t.Errorf("the jobs' context named another tenant: %d authors named after acme", n)
		}
		if n := s.count("globex", "SELECT COUNT(*) FROM authors WHERE bio = 'from a job'"); n != 0 {
			t.Errorf("acme's jobs wrote %d rows into globex", n)
		}
		var mainRows int
		if err := s.app.Database().DB.QueryRow("SELECT COUNT(*) FROM authors WHERE bio = 'from a job'").Scan(&mainRows); err != nil || mainRows != 0 {
			t.Errorf("acme's jobs wrote %d rows into the main database (%v)", mainRows, err)
		}
		waitFor(t, 10*time.Second, "acme's jobs recorded completed", func() bool {
			return s.count("acme", "SELECT COUNT(*) FROM quarry_jobs WHERE state = 'completed'") == 2
		})
		sharedMu.Lock()
		got := slices.Clone(sharedSeen)
		sharedMu.Unlock()
		slices.Sort(got)
		if want := []string{"job one: main's authors 1 (<nil>), shared tables [tags]", "job two: main's authors 1 (<nil>), shared tables [tags]"}; !slices.Equal(got, want) {
			t.Errorf("the jobs' main side:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// A job of globex, enqueued the same way, runs in globex.
		if resp, body := s.browserAt(t, "globex.example.test").do("GET", "/test/enqueue?label=three", nil, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("enqueue in globex: %d %s", resp.StatusCode, body)
		}
		waitFor(t, 30*time.Second, "globex's job ran", func() bool {
			return s.count("globex", "SELECT COUNT(*) FROM authors WHERE name = 'job three in globex'") == 1
		})
		if n := s.count("acme", "SELECT COUNT(*) FROM authors WHERE name LIKE '%three%'"); n != 0 {
			t.Error("globex's job wrote into acme")
		}

		// The admins: acme's lists its jobs, globex's only its own.
		expect(t, "login on acme", a.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
		g := s.browserAt(t, "globex.example.test")
		expect(t, "login on globex", g.login("alice", tenantPassword, "/admin/"), http.StatusSeeOther, "/admin/")
		ab, gb := &adminBrowser{browser: a}, &adminBrowser{browser: g}
		for _, label := range []string{"one", "two"} {
			wantAbsent(t, "acme's admin, jobs matching "+label, ab.get("/admin/quarry_jobs/?q="+label, http.StatusOK), `class="empty"`)
			wantContains(t, "globex's admin, jobs matching "+label, gb.get("/admin/quarry_jobs/?q="+label, http.StatusOK), `class="empty"`)
		}
		wantAbsent(t, "globex's admin, its own job", gb.get("/admin/quarry_jobs/?q=three", http.StatusOK), `class="empty"`)
		wantContains(t, "acme's admin, globex's job", ab.get("/admin/quarry_jobs/?q=three", http.StatusOK), `class="empty"`)

		// A suspended tenant's workers stop.
		if err := s.reg.SetStatus(ctx, "globex", tenancy.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		w.Refresh()
		waitFor(t, 10*time.Second, "globex's workers stopped", func() bool { return strings.Join(w.Running(), ",") == "acme" })
	})
}
