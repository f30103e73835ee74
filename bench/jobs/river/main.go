// Command river runs River (riverqueue/river) through the same two
// measurements as Quarry's jobs bench, on the same PostgreSQL database: it
// is a separate module so the framework never depends on River. It prints
// one line: "river drain_jobs_per_s=… insert_jobs_per_s=… latency_p50_ms=…".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

type NoopArgs struct {
	N    int   `json:"n"`
	Sent int64 `json:"sent"`
}

func (NoopArgs) Kind() string { return "noop" }

type NoopWorker struct {
	river.WorkerDefaults[NoopArgs]
	done *atomic.Int64
	mu   *sync.Mutex
	lat  *[]time.Duration
}

func (w *NoopWorker) Work(ctx context.Context, job *river.Job[NoopArgs]) error {
	if job.Args.Sent != 0 {
		d := time.Since(time.Unix(0, job.Args.Sent))
		w.mu.Lock()
		*w.lat = append(*w.lat, d)
		w.mu.Unlock()
	}
	w.done.Add(1)
	return nil
}

func main() {
	url := flag.String("url", "postgres://postgres@127.0.0.1:5432/quarry_bench_jobs?sslmode=disable", "database url")
	n := flag.Int("n", 100000, "jobs to drain")
	workers := flag.Int("workers", 2000, "max workers")
	latN := flag.Int("latency-jobs", 200, "jobs enqueued one by one for the latency measurement")
	flag.Parse()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, *url)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	drv := riverpgxv5.New(pool)
	mig, err := rivermigrate.New(drv, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		log.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "TRUNCATE river_job"); err != nil {
		log.Fatal(err)
	}
	var done atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	ws := river.NewWorkers()
	river.AddWorker(ws, &NoopWorker{done: &done, mu: &mu, lat: &lat})
	client, err := river.NewClient(drv, &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: *workers}},
		Workers: ws,
	})
	if err != nil {
		log.Fatal(err)
	}
	insStart := time.Now()
	batch := make([]river.InsertManyParams, 0, 1000)
	for i := 0; i < *n; i++ {
		batch = append(batch, river.InsertManyParams{Args: NoopArgs{N: i}})
		if len(batch) == cap(batch) || i == *n-1 {
			if _, err := client.InsertManyFast(ctx, batch); err != nil {
				log.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	insDur := time.Since(insStart)
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	for done.Load() < int64(*n) {
		time.Sleep(time.Millisecond)
	}
	dur := time.Since(start)
	// Latency: one job at a time into an idle client.
	time.Sleep(500 * time.Millisecond)
	for i := 0; i < *latN; i++ {
		want := done.Load() + 1
		if _, err := client.Insert(ctx, NoopArgs{N: i, Sent: time.Now().UnixNano()}, nil); err != nil {
			log.Fatal(err)
		}
		for done.Load() < want {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = client.Stop(stopCtx)
	slices.Sort(lat)
	fmt.Printf("river drain_jobs_per_s=%.0f insert_jobs_per_s=%.0f latency_p50_ms=%.2f\n",
		float64(*n)/dur.Seconds(), float64(*n)/insDur.Seconds(), float64(lat[len(lat)/2].Microseconds())/1000)
}
