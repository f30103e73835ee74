package conformance

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// RanArgs is the job of tests/jobsworker; the tests only enqueue it.
type RanArgs struct {
	N int `json:"n"`
}

func (RanArgs) Kind() string { return "ran" }

const jobsRanDDL = `CREATE TABLE jobs_ran (n BIGINT NOT NULL, job_id BIGINT NOT NULL, attempt BIGINT NOT NULL, worker VARCHAR(100) NOT NULL)`

var (
	jobsWorkerOnce sync.Once
	jobsWorkerBin  string
	jobsWorkerErr  error
)

// startJobsChild starts a worker process (tests/jobsworker, built once)
// and waits until it is ready.
func startJobsChild(t *testing.T, db *dbtest.DB, env ...string) *exec.Cmd {
	t.Helper()
	jobsWorkerOnce.Do(func() {
		jobsWorkerBin = filepath.Join(binDir, "jobsworker")
		out, err := exec.Command("go", "build", "-o", jobsWorkerBin, "../jobsworker").CombinedOutput()
		if err != nil {
			jobsWorkerErr = fmt.Errorf("build jobsworker: %v\n%s", err, out)
		}
	})
	if jobsWorkerErr != nil {
		t.Fatal(jobsWorkerErr)
	}
	cmd := exec.Command(jobsWorkerBin)
	cmd.Env = append(os.Environ(), append([]string{"QUARRY_JOBS_CHILD_URL=" + db.URL}, env...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("worker process: %q, %v", line, err)
	}
	return cmd
}

// enqueueRan enqueues n RanArgs jobs in batches of 1,000.
func enqueueRan(t *testing.T, db *dbtest.DB, n int) {
	t.Helper()
	c, err := jobs.New(jobs.NewSQL(db.Database()), jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]jobs.EnqueueParams, 0, 1000)
	for i := 0; i < n; i++ {
		batch = append(batch, jobs.EnqueueParams{Args: RanArgs{N: i}, Opts: &jobs.InsertOpts{Queue: "ran"}})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := c.EnqueueMany(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func countRows(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// heldJobs lists the ids of the jobs in state running.
func heldJobs(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query("SELECT id FROM quarry_jobs WHERE state = 'running'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// waitCompleted waits until every job is completed.
func waitCompleted(t *testing.T, db *dbtest.DB, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		done := countRows(t, db.SQL, "SELECT COUNT(*) FROM quarry_jobs WHERE state = 'completed'")
		if done == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs completed after %s", done, n, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestJobsTwoProcesses: two OS processes with two client pools each drain
// 20,000 jobs from one database; every job runs exactly once.
func TestJobsTwoProcesses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		if _, err := db.SQL.Exec(jobsRanDDL); err != nil {
			t.Fatal(err)
		}
		const n = 20000
		enqueueRan(t, db, n)
		workers := "QUARRY_JOBS_CHILD_WORKERS=25"
		start := time.Now()
		a := startJobsChild(t, db, "QUARRY_JOBS_CHILD_POOLS=2", workers)
		b := startJobsChild(t, db, "QUARRY_JOBS_CHILD_POOLS=2", workers)
		waitCompleted(t, db, n, 4*time.Minute)
		took := time.Since(start)
		for _, p := range []*exec.Cmd{a, b} {
			_ = p.Process.Signal(syscall.SIGTERM)
			if err := p.Wait(); err != nil {
				t.Errorf("worker process exit: %v", err)
			}
		}
		runs := countRows(t, db.SQL, "SELECT COUNT(*) FROM jobs_ran")
		distinct := countRows(t, db.SQL, "SELECT COUNT(DISTINCT n) FROM jobs_ran")
		pools := countRows(t, db.SQL, "SELECT COUNT(DISTINCT worker) FROM jobs_ran")
		if runs != n || distinct != n {
			t.Errorf("%d runs of %d distinct jobs, want exactly %d each", runs, distinct, n)
		}
		if pools != 4 {
			t.Errorf("jobs ran in %d client pools, want 4", pools)
		}
		// A run whose own write failed (SQLite's busy timeout under load) is
		// retried: that is a second attempt but not a second run.
		retried := countRows(t, db.SQL, "SELECT COUNT(*) FROM quarry_jobs WHERE attempt <> 1")
		t.Logf("%s: 2 processes × 2 pools drained %d jobs in %s (%.0f jobs/s), each run exactly once; %d retried after an error", db.Name, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), retried)
	})
}

// TestJobsCrash: a worker process is killed with SIGKILL while it holds
// jobs; once their lease expires another process rescues and finishes them.
func TestJobsCrash(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		if _, err := db.SQL.Exec(jobsRanDDL); err != nil {
			t.Fatal(err)
		}
		const n = 500
		enqueueRan(t, db, n)
		lease := []string{"QUARRY_JOBS_CHILD_LEASE_MS=4000", "QUARRY_JOBS_CHILD_SLEEP_MS=20", "QUARRY_JOBS_CHILD_POOLS=1", "QUARRY_JOBS_CHILD_WORKERS=20"}
		victim := startJobsChild(t, db, lease...)
		deadline := time.Now().Add(time.Minute)
		for countRows(t, db.SQL, "SELECT COUNT(*) FROM jobs_ran") < 100 {
			if time.Now().After(deadline) {
				t.Fatal("the worker process ran fewer than 100 jobs in a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = victim.Wait()
		// The jobs running now are the ones the killed process held. A
		// server may still carry out a statement the process sent just
		// before it died (its batched completion), so each held job must
		// end either rescued (attempt 2) or completed by that statement
		// (attempt 1, recorded in jobs_ran) — never lost, never run a third time.
		held := heldJobs(t, db.SQL)
		if len(held) == 0 {
			t.Fatal("the killed process held no jobs; the test proves nothing")
		}
		killedAt := time.Now()
		startJobsChild(t, db, lease...)
		waitCompleted(t, db, n, 2*time.Minute)
		distinct := countRows(t, db.SQL, "SELECT COUNT(DISTINCT n) FROM jobs_ran")
		runs := countRows(t, db.SQL, "SELECT COUNT(*) FROM jobs_ran")
		if distinct != n {
			t.Errorf("%d distinct jobs ran, want %d", distinct, n)
		}
		rescued, finishedByVictim := 0, 0
		for _, id := range held {
			var attempt, ranAt1 int
			q := "SELECT attempt, (SELECT COUNT(*) FROM jobs_ran r WHERE r.job_id = j.id AND r.attempt = 1) FROM quarry_jobs j WHERE id = " + db.Dialect().Placeholder(1)
			if err := db.SQL.QueryRow(q, id).Scan(&attempt, &ranAt1); err != nil {
				t.Fatal(err)
			}
			switch {
			case attempt == 2:
				rescued++
			case attempt == 1 && ranAt1 == 1:
				finishedByVictim++
			default:
				t.Errorf("job %d was running at the kill and ended at attempt %d with %d first runs recorded", id, attempt, ranAt1)
			}
		}
		if rescued == 0 {
			t.Errorf("none of the %d jobs running at the kill was rescued", len(held))
		}
		if more := countRows(t, db.SQL, "SELECT COUNT(*) FROM quarry_jobs WHERE attempt > 2"); more != 0 {
			t.Errorf("%d jobs ran more than twice", more)
		}
		t.Logf("%s: SIGKILL with %d jobs held (%d rescued, %d finished by the killed process's last statement); all %d completed %s later; %d re-runs (jobs that ran twice: finished but not yet marked, or cut short)",
			db.Name, len(held), rescued, finishedByVictim, n, time.Since(killedAt).Round(time.Millisecond), runs-n)
	})
}
