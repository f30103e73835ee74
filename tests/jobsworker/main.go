// Command jobsworker is the worker process of the jobs process tests
// (tests/conformance/jobs_process_test.go): it runs POOLS job clients on queue "ran"
// against $QUARRY_JOBS_CHILD_URL until SIGTERM, each with WORKERS
// goroutines; every job sleeps SLEEP_MS, then records itself in jobs_ran.
// The tests build it without the race detector: under it, SQLite's
// cross-process busy-waiting starves (the jobs package itself is
// race-tested in-process by the conformance suite).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
)

// RanArgs is the job: N is recorded in jobs_ran.
type RanArgs struct {
	N int `json:"n"`
}

// Kind implements jobs.Args.
func (RanArgs) Kind() string { return "ran" }

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "jobs child:", err); return 1 }
	d, err := framework.OpenDatabase(ctx, os.Getenv("QUARRY_JOBS_CHILD_URL"))
	if err != nil {
		return fail(err)
	}
	defer d.DB.Close()
	db, dialect := d.DB, d.Dialect
	num := func(k string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return n
		}
		return def
	}
	pools, workers, sleepMS, leaseMS := num("QUARRY_JOBS_CHILD_POOLS", 2), num("QUARRY_JOBS_CHILD_WORKERS", 10), num("QUARRY_JOBS_CHILD_SLEEP_MS", 0), num("QUARRY_JOBS_CHILD_LEASE_MS", 30000)
	insert := "INSERT INTO jobs_ran (n, job_id, attempt, worker) VALUES (" + dialect.Placeholder(1) + ", " + dialect.Placeholder(2) + ", " + dialect.Placeholder(3) + ", " + dialect.Placeholder(4) + ")"
	var clients []*jobs.Client
	for i := 0; i < pools; i++ {
		reg := jobs.NewRegistry()
		var c *jobs.Client
		jobs.Register[RanArgs](reg, jobs.WorkFunc[RanArgs](func(ctx context.Context, j *jobs.Job[RanArgs]) error {
			if sleepMS > 0 {
				time.Sleep(time.Duration(sleepMS) * time.Millisecond)
			}
			_, err := db.ExecContext(ctx, insert, j.Args.N, j.ID, j.Attempt, j.LockedBy)
			return err
		}))
		c, err = jobs.New(jobs.NewSQL(d), jobs.Config{Registry: reg,
			Queues:       map[string]jobs.QueueConfig{"ran": {MaxWorkers: workers}},
			PollInterval: 50 * time.Millisecond, MaintenanceInterval: 200 * time.Millisecond,
			Lease: time.Duration(leaseMS) * time.Millisecond, JobTimeout: -1})
		if err != nil {
			return fail(err)
		}
		if err := c.Start(ctx); err != nil {
			return fail(err)
		}
		clients = append(clients, c)
	}
	fmt.Println("ready")
	<-ctx.Done()
	for _, c := range clients {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Stop(sctx); err != nil {
			cancel()
			return fail(err)
		}
		cancel()
	}
	return 0
}
