package tests

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tests/dbtest"
)

type adminJobArgs struct {
	Msg string `json:"msg"`
}

func (adminJobArgs) Kind() string { return "admin_test.mail" }

// TestAdminJobs: the admin lists background jobs by state and runs its
// retry and cancel actions without touching running jobs; queues are
// paused and resumed from the admin; `quarry worker --status` counts them.
func TestAdminJobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		ctx := context.Background()
		backend := jobs.NewSQL(s.app.Database())
		c, err := jobs.New(backend, jobs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		enq := func(o *jobs.InsertOpts) int64 {
			t.Helper()
			r, err := c.Enqueue(ctx, adminJobArgs{Msg: "<b>hi</b>"}, o)
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		ready := enq(nil)
		later := enq(&jobs.InsertOpts{Delay: time.Hour})
		running := enq(&jobs.InsertOpts{Queue: "busy"})
		now := time.Now().UTC()
		if rows, err := backend.Fetch(ctx, jobs.FetchParams{Queue: "busy", Limit: 1, Now: now, LockedUntil: now.Add(time.Hour), Worker: "w1"}); err != nil || len(rows) != 1 {
			t.Fatalf("fetch: %v %v", rows, err)
		}
		root := s.as("root")
		ids := func(ns ...int64) []string {
			var out []string
			for _, n := range ns {
				out = append(out, strconv.FormatInt(n, 10))
			}
			return out
		}
		state := func(id int64) jobs.State {
			t.Helper()
			j, err := c.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return j.State
		}

		page := root.get("/admin/quarry_jobs/", http.StatusOK)
		wantContains(t, "jobs list", page, "Background jobs", "admin_test.mail", "scheduled", "running", "available",
			"Run selected jobs again now", "Cancel selected jobs")
		wantAbsent(t, "jobs list", page, "<b>hi</b>")
		page = root.get("/admin/quarry_jobs/?f.state=running", http.StatusOK)
		if rs := rows(page); len(rs) != 1 {
			t.Errorf("state=running lists %d rows, want 1", len(rs))
		}

		root.post("/admin/quarry_jobs/", url.Values{"action": {"cancel"}, "_selected": ids(ready, later, running)}, http.StatusSeeOther)
		wantContains(t, "cancel message", root.get("/admin/quarry_jobs/", http.StatusOK), "cancelled 2 of 3 jobs; 1 were running or already finished.")
		if state(ready) != jobs.StateCancelled || state(later) != jobs.StateCancelled || state(running) != jobs.StateRunning {
			t.Errorf("after cancel: %s %s %s", state(ready), state(later), state(running))
		}
		root.post("/admin/quarry_jobs/", url.Values{"action": {"retry"}, "_selected": ids(ready, running)}, http.StatusSeeOther)
		if state(ready) != jobs.StateAvailable || state(running) != jobs.StateRunning {
			t.Errorf("after retry: %s %s", state(ready), state(running))
		}
		root.post("/admin/quarry_jobs/", url.Values{"action": {"retry"}, "_selected": {"x1"}}, http.StatusBadRequest)

		if err := c.Pause(ctx, "default"); err != nil {
			t.Fatal(err)
		}
		paused := func() bool {
			qs, err := backend.Queues(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range qs {
				if q.Name == "default" {
					return q.Paused
				}
			}
			return false
		}
		root.post("/admin/quarry_job_queues/", url.Values{"action": {"resume"}, "_selected": {"default"}}, http.StatusSeeOther)
		if paused() {
			t.Error("resume from the admin left the queue paused")
		}
		root.post("/admin/quarry_job_queues/", url.Values{"action": {"pause"}, "_selected": {"default"}}, http.StatusSeeOther)
		if !paused() {
			t.Error("pause from the admin left the queue running")
		}
		s.as("viewer").post("/admin/quarry_jobs/", url.Values{"action": {"retry"}, "_selected": ids(ready)}, http.StatusForbidden)

		cli := quarryExpect(t, t.TempDir(), []string{"DATABASE_URL=" + db.URL})
		cli(2, "worker", "extra")
		if r := cli(2, "worker", "--grace", "soon"); !strings.Contains(r.stderr, `invalid duration "soon"`) {
			t.Errorf("quarry worker --grace soon: %s", r.stderr)
		}
		empty := quarryExpect(t, t.TempDir(), []string{"DATABASE_URL=" + dbtest.NewURL(t, db.Name)})
		if r := empty(1, "worker", "--status"); !strings.Contains(r.stderr, "no quarry_jobs table: run 'quarry migrate up' first") {
			t.Errorf("quarry worker on an unmigrated database: %s", r.stderr)
		}
		out := cli(0, "worker", "--status").stdout
		for _, want := range []string{"busy", "running", "default", "available", "cancelled", "paused: default"} {
			if !strings.Contains(out, want) {
				t.Errorf("quarry worker --status lacks %q:\n%s", want, out)
			}
		}

		// On PostgreSQL, resuming a queue and retrying a job from the admin
		// wake a worker that would otherwise not poll for an hour.
		if !db.Dialect().Capabilities().ListenNotify {
			return
		}
		reg := jobs.NewRegistry()
		jobs.Register[adminJobArgs](reg, jobs.WorkFunc[adminJobArgs](func(context.Context, *jobs.Job[adminJobArgs]) error { return nil }))
		w, err := jobs.New(backend, jobs.Config{Registry: reg, Queues: map[string]jobs.QueueConfig{"default": {MaxWorkers: 2}},
			PollInterval: time.Hour, MaintenanceInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer w.Stop(ctx)
		// Usually time for its first, empty fetch (the queue is paused) and
		// its LISTEN; a later LISTEN fetches once listening, and the retry
		// below can only start through a wake-up.
		time.Sleep(300 * time.Millisecond)
		waitDone := func(id int64, attempt int) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				j, err := c.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if j.State == jobs.StateCompleted && j.Attempt == attempt {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("job %d not woken: %s, attempt %d", id, j.State, j.Attempt)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		root.post("/admin/quarry_job_queues/", url.Values{"action": {"resume"}, "_selected": {"default"}}, http.StatusSeeOther)
		waitDone(ready, 1)
		root.post("/admin/quarry_jobs/", url.Values{"action": {"retry"}, "_selected": ids(ready)}, http.StatusSeeOther)
		waitDone(ready, 2)
	})
}
