// Command jobs measures framework/jobs: it drains N no-op jobs and prints
// jobs/second and the median enqueue-to-start latency per dialect, and on
// PostgreSQL runs River (riverqueue/river, the separate module in ./river)
// on the same database in the same run, side by side.
//
//	go run ./bench/jobs -n 100000 -workers 2000 -dialects postgres,mysql,sqlite
//
// Databases: QUARRY_TEST_POSTGRES_URL and QUARRY_TEST_MYSQL_URL name the
// servers (a scratch database is created and dropped on each); SQLite uses
// a temporary file.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarry-go/quarry/bench/benchdb"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/migrate"
)

// NoopArgs is the benchmark job; Sent (Unix ns) is set for latency jobs.
type NoopArgs struct {
	N    int   `json:"n"`
	Sent int64 `json:"sent,omitempty"`
}

func (NoopArgs) Kind() string { return "noop" }

type result struct {
	name                  string
	drain, insert, p50Lat float64
}

func main() {
	n := flag.Int("n", 100000, "jobs to drain")
	workers := flag.Int("workers", 2000, "max workers of the queue")
	latN := flag.Int("latency-jobs", 200, "jobs enqueued one at a time into an idle client for the latency median")
	dialectList := flag.String("dialects", "postgres,mysql,sqlite", "dialects to run")
	riverDir := flag.String("river", "bench/jobs/river", "directory of the River module ('' skips River)")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()
	var results []result
	for _, d := range strings.Split(*dialectList, ",") {
		name := dialects.Name(strings.TrimSpace(d))
		url, drop, err := createDatabase(ctx, name)
		if err != nil {
			log.Fatal(err)
		}
		r, err := runQuarry(ctx, url, *n, *workers, *latN)
		if err == nil && name == dialects.Postgres && *riverDir != "" {
			var rr result
			rr, err = runRiver(url, *riverDir, *n, *workers, *latN)
			results = append(results, r, rr)
		} else {
			results = append(results, r)
		}
		if derr := drop(); derr != nil {
			log.Print(derr)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("\nDrain %d no-op jobs, %d workers, one client (machine: %d CPUs)\n\n", *n, *workers, runtime.NumCPU())
	fmt.Printf("| %-22s | %14s | %14s | %23s |\n", "queue", "worked jobs/s", "insert jobs/s", "enqueue→start p50 (ms)")
	fmt.Printf("|%s|%s|%s|%s|\n", strings.Repeat("-", 24), strings.Repeat("-", 16), strings.Repeat("-", 16), strings.Repeat("-", 25))
	for _, r := range results {
		fmt.Printf("| %-22s | %14.0f | %14.0f | %23.2f |\n", r.name, r.drain, r.insert, r.p50Lat)
	}
}

func runQuarry(ctx context.Context, url string, n, workers, latN int) (result, error) {
	d, err := framework.OpenDatabase(ctx, url)
	if err != nil {
		return result{}, err
	}
	defer d.DB.Close()
	if d.Dialect.Name() != dialects.SQLite {
		d.DB.SetMaxOpenConns(40)
		d.DB.SetMaxIdleConns(40)
	}
	m, err := migrate.New(d, migrate.Options{})
	if err != nil {
		return result{}, err
	}
	if _, err := m.Up(ctx); err != nil {
		return result{}, err
	}
	var done atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	reg := jobs.NewRegistry()
	jobs.Register[NoopArgs](reg, jobs.WorkFunc[NoopArgs](func(_ context.Context, j *jobs.Job[NoopArgs]) error {
		if j.Args.Sent != 0 {
			d := time.Since(time.Unix(0, j.Args.Sent))
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
		done.Add(1)
		return nil
	}))
	c, err := jobs.New(jobs.NewSQL(d), jobs.Config{Registry: reg,
		Queues: map[string]jobs.QueueConfig{"default": {MaxWorkers: workers}}})
	if err != nil {
		return result{}, err
	}
	insStart := time.Now()
	batch := make([]jobs.EnqueueParams, 0, 1000)
	for i := 0; i < n; i++ {
		batch = append(batch, jobs.EnqueueParams{Args: NoopArgs{N: i}})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := c.EnqueueMany(ctx, batch); err != nil {
				return result{}, err
			}
			batch = batch[:0]
		}
	}
	insDur := time.Since(insStart)
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		return result{}, err
	}
	for done.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	dur := time.Since(start)
	time.Sleep(500 * time.Millisecond)
	for i := 0; i < latN; i++ {
		want := done.Load() + 1
		if _, err := c.Enqueue(ctx, NoopArgs{N: i, Sent: time.Now().UnixNano()}, nil); err != nil {
			return result{}, err
		}
		for done.Load() < want {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Stop(stopCtx); err != nil {
		return result{}, err
	}
	var completed int64
	if err := d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM quarry_jobs WHERE state = 'completed'").Scan(&completed); err != nil {
		return result{}, err
	}
	if completed != int64(n+latN) {
		return result{}, fmt.Errorf("%s: %d jobs completed, want %d", d.Dialect.Name(), completed, n+latN)
	}
	slices.Sort(lat)
	return result{name: "quarry " + string(d.Dialect.Name()), drain: float64(n) / dur.Seconds(),
		insert: float64(n) / insDur.Seconds(), p50Lat: float64(lat[len(lat)/2].Microseconds()) / 1000}, nil
}

// runRiver runs the River module on the same database and parses its line.
func runRiver(url, dir string, n, workers, latN int) (result, error) {
	u, err := dialects.ParseURL(url)
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command("go", "run", ".", "-url", u.DSN, "-n", fmt.Sprint(n), "-workers", fmt.Sprint(workers), "-latency-jobs", fmt.Sprint(latN))
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("river: %w", err)
	}
	r := result{name: "river postgres"}
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "river drain_jobs_per_s=%f insert_jobs_per_s=%f latency_p50_ms=%f", &r.drain, &r.insert, &r.p50Lat); err != nil {
		return result{}, fmt.Errorf("river printed %q: %w", out, err)
	}
	return r, nil
}

// createDatabase makes a scratch database and returns its URL and a drop.
func createDatabase(ctx context.Context, name dialects.Name) (string, func() error, error) {
	var env, def string
	switch name {
	case dialects.SQLite:
		dir, err := os.MkdirTemp("", "quarry-bench-jobs-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() error { return os.RemoveAll(dir) }, nil
	case dialects.Postgres:
		env, def = "QUARRY_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	case dialects.MySQL:
		env, def = "QUARRY_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql"
	default:
		return "", nil, fmt.Errorf("unknown dialect %q (want postgres, mysql or sqlite)", name)
	}
	base := os.Getenv(env)
	if base == "" {
		base = def
	}
	bu, err := dialects.ParseURL(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	return benchdb.Create(ctx, bu, "quarry_bench_jobs_")
}
