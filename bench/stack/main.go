// Command stack measures what Quarry's default App stack costs end to end:
// one JSON endpoint running one query (20 rows) on PostgreSQL, served
// (a) bare — net/http ServeMux, database/sql with pgx's stdlib driver,
// encoding/json — and (b) by Quarry — framework.New, the router, and
// app.Handler() (request id, client address, access log, recovery, the URL
// text check, the database handle in the context), the handler reading
// framework.DatabaseFrom and answering with framework.WriteJSON. wrk loads
// each in turn, in rounds of two runs whose order alternates (bare then
// quarry, quarry then bare, …) so that a drift of the machine's speed
// favours neither; each round's ratio quarry/bare is printed, and their
// median is the result (one 10-second run of the same server varies by
// ±10% on a shared 2-core machine: -aa serves the bare handler on both
// sides and shows that noise). Then rounds/2 runs load both servers at
// once, each with half the threads and connections, and their median
// ratio is printed too: what else the machine does weighs on both alike. Each run also reports this process's CPU
// time per request (the servers' own, without wrk and PostgreSQL); the
// least of each side and their difference close the output:
//
//	go run ./bench/stack                  # wrk -t2 -c8 -d10s, 8 rounds
//	go run ./bench/stack -d 5s -rounds 4
//	go run ./bench/stack -aa              # bare against bare: the noise floor
//	go run ./bench/stack -cpuprofile /tmp/quarry.pprof   # then a profiled quarry run and bare run (/tmp/quarry.pprof.bare)
//
// Both servers run in this process on 127.0.0.1 ephemeral ports, one at a
// time under load. A scratch database is created on the server named by
// -url (default QUARRY_TEST_POSTGRES_URL, else the local server) and
// dropped at the end. wrk must be installed (Debian: apt-get install wrk).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the bare server's driver

	"github.com/quarry-go/quarry/bench/benchdb"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
)

// The endpoint's query: 20 rows of four columns.
const query = `SELECT id, title, body, created_at FROM items ORDER BY id LIMIT 20`

// Item is one row of the endpoint's answer.
type Item struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func listItems(ctx context.Context, db *sql.DB) ([]Item, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := make([]Item, 0, 20)
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.Title, &it.Body, &it.CreatedAt); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

func main() {
	defURL := os.Getenv("QUARRY_TEST_POSTGRES_URL")
	if defURL == "" {
		defURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	serverURL := flag.String("url", defURL, "PostgreSQL server (a scratch database is created and dropped on it)")
	dur := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	threads := flag.Int("t", 2, "wrk threads")
	conns := flag.Int("c", 8, "wrk connections")
	rounds := flag.Int("rounds", 8, "rounds of one bare and one quarry run, in alternating order; the median round ratio is the result")
	aa := flag.Bool("aa", false, "serve the bare handler on the quarry side too (an A/A run: the ratios show the measurement's noise)")
	cpuprofile := flag.String("cpuprofile", "", "after the measured runs, profile one more quarry run into this file and one more bare run into this file + .bare (CPU of this process)")
	flag.Parse()
	log.SetFlags(0)
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("bench/stack needs wrk on PATH: install wrk: apt-get install wrk")
	}
	if err := run(*serverURL, *dur, *threads, *conns, *rounds, *cpuprofile, *aa); err != nil {
		log.Fatal(err)
	}
}

func run(serverURL string, dur time.Duration, threads, conns, rounds int, cpuprofile string, aa bool) (err error) {
	ctx := context.Background()
	dbURL, drop, err := createDatabase(ctx, serverURL)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, drop()) }()

	// Bare: its pool is sized as the App's below (dialects sizes a server's
	// pool by the CPUs: 8 on 2 cores).
	bareDB, err := sql.Open("pgx", dbURL)
	if err != nil {
		return err
	}
	defer bareDB.Close()
	if err := seed(ctx, bareDB); err != nil {
		return err
	}
	bareMux := http.NewServeMux()
	bareMux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		items, err := listItems(r.Context(), bareDB)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(items)
	})

	// Quarry: the default stack, the access log as in production (JSON at
	// Info), written to io.Discard.
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	app, err := framework.New(ctx, framework.Config{DatabaseURL: dbURL, Env: framework.EnvTest}, framework.WithLogger(logger))
	if err != nil {
		return err
	}
	defer app.Close()
	pool := app.DB().Stats().MaxOpenConnections
	bareDB.SetMaxOpenConns(pool)
	bareDB.SetMaxIdleConns(pool)
	app.Router().HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		items, err := listItems(r.Context(), framework.DatabaseFrom(r.Context()).DB)
		if err != nil {
			framework.WriteError(w, r, http.StatusInternalServerError, "query failed")
			return
		}
		framework.WriteJSON(w, http.StatusOK, items)
	})

	bareAddr, stopBare, err := serve(bareMux)
	if err != nil {
		return err
	}
	defer stopBare()
	quarryHandler := app.Handler()
	if aa {
		quarryHandler = bareMux
	}
	quarryAddr, stopQuarry, err := serve(quarryHandler)
	if err != nil {
		return err
	}
	defer stopQuarry()
	for name, addr := range map[string]string{"bare": bareAddr, "quarry": quarryAddr} {
		if err := check(addr); err != nil {
			return fmt.Errorf("%s server: %w", name, err)
		}
	}

	// Note the load other processes put on the machine, then warm both up
	// untimed (pools filled, PostgreSQL's caches).
	load, loadOK := loadAverage()
	for _, addr := range []string{bareAddr, quarryAddr} {
		if _, _, err := runWrk(addr, 3*time.Second, threads, conns); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	side := "quarry"
	if aa {
		side = "bare (A/A)"
	}
	fmt.Printf("GET /items (one query, 20 rows, JSON) on PostgreSQL, pools of %d; wrk -t%d -c%d -d%s, %d rounds in alternating order (machine: %d CPUs, GOMAXPROCS %d)\n",
		pool, threads, conns, dur, rounds, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	var bestBare, bestQuarry float64
	cpuBare, cpuQuarry := math.Inf(1), math.Inf(1)
	var lastBare, lastQuarry measurement
	var ratios []float64
	for i := 0; i < rounds; i++ {
		var b, q measurement
		var err error
		if i%2 == 0 {
			if b, err = measure(bareAddr, dur, threads, conns); err == nil {
				q, err = measure(quarryAddr, dur, threads, conns)
			}
		} else {
			if q, err = measure(quarryAddr, dur, threads, conns); err == nil {
				b, err = measure(bareAddr, dur, threads, conns)
			}
		}
		if err != nil {
			return err
		}
		first := "bare first"
		if i%2 == 1 {
			first = side + " first"
		}
		fmt.Printf("  round %d (%s): bare %s req/s (%.1f µs CPU/req)  %s %s req/s (%.1f µs CPU/req)  ratio %.3f\n",
			i+1, first, thousands(b.rps), b.cpuPerReq, side, thousands(q.rps), q.cpuPerReq, q.rps/b.rps)
		ratios = append(ratios, q.rps/b.rps)
		bestBare, bestQuarry = max(bestBare, b.rps), max(bestQuarry, q.rps)
		cpuBare, cpuQuarry = min(cpuBare, b.cpuPerReq), min(cpuQuarry, q.cpuPerReq)
		lastBare, lastQuarry = b, q
	}
	fmt.Printf("ratio %s/bare: median of the rounds %.3f (target >= 0.95); best run of each: bare %s req/s, %s %s req/s, %.3f\n",
		side, median(ratios), thousands(bestBare), side, thousands(bestQuarry), bestQuarry/bestBare)

	// Both at once: two wrk processes, each with half the threads and
	// connections, load the two servers together, so that whatever else
	// the machine does in those seconds weighs on both alike.
	var together []float64
	for i := 0; i < max(1, rounds/2); i++ {
		b, q, err := measureTogether(bareAddr, quarryAddr, dur, max(1, threads/2), max(1, conns/2))
		if err != nil {
			return err
		}
		fmt.Printf("  together %d: bare %s req/s  %s %s req/s  ratio %.3f\n", i+1, thousands(b), side, thousands(q), q/b)
		together = append(together, q/b)
	}
	fmt.Printf("ratio %s/bare loaded together (wrk -t%d -c%d on each): median %.3f\n", side, max(1, threads/2), max(1, conns/2), median(together))
	if loadOK && load > float64(runtime.NumCPU())/2 {
		fmt.Printf("warning: load average %.1f on %d CPUs before this run: other processes share the CPUs and the ratio is not reliable\n", load, runtime.NumCPU())
	}
	fmt.Printf("server CPU per request (least of each; wrk and PostgreSQL excluded): bare %.1f µs  %s %.1f µs  difference %+.1f µs\n",
		cpuBare, side, cpuQuarry, cpuQuarry-cpuBare)
	fmt.Printf("heap allocations per request (last round): bare %.1f (%.0f B)  %s %.1f (%.0f B)\n",
		lastBare.allocsPerReq, lastBare.bytesPerReq, side, lastQuarry.allocsPerReq, lastQuarry.bytesPerReq)

	if cpuprofile != "" {
		for _, p := range []struct{ name, addr, file string }{
			{"quarry", quarryAddr, cpuprofile}, {"bare", bareAddr, cpuprofile + ".bare"},
		} {
			if err := profile(p.file, p.addr, dur, threads, conns, p.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// profile records the CPU profile of this process during one more wrk run
// on addr and prints the server's CPU time per request.
func profile(file, addr string, dur time.Duration, threads, conns int, name string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	m, err := measure(addr, dur, threads, conns)
	pprof.StopCPUProfile()
	if err != nil {
		return fmt.Errorf("%s (profiled): %w", name, err)
	}
	fmt.Printf("profiled %s run: %s req/s, %.1f µs CPU/req; go tool pprof -top %s\n", name, thousands(m.rps), m.cpuPerReq, file)
	return nil
}

type measurement struct {
	rps       float64 // requests per second, as wrk counts them
	cpuPerReq float64 // this process's CPU time (user + system) per request, µs
	// Heap allocations and bytes per request in this process: what the
	// garbage collector will pay for, and unmoved by other load.
	allocsPerReq, bytesPerReq float64
}

// measure runs wrk on addr and reads this process's CPU time around it.
func measure(addr string, dur time.Duration, threads, conns int) (measurement, error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	before := processCPU()
	rps, n, err := runWrk(addr, dur, threads, conns)
	cpu := processCPU() - before
	runtime.ReadMemStats(&m1)
	if err != nil {
		return measurement{}, err
	}
	return measurement{rps: rps, cpuPerReq: float64(cpu.Nanoseconds()) / 1e3 / n,
		allocsPerReq: float64(m1.Mallocs-m0.Mallocs) / n, bytesPerReq: float64(m1.TotalAlloc-m0.TotalAlloc) / n}, nil
}

// median is the middle value of xs (the mean of the middle two for an
// even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// measureTogether runs wrk on both addresses at the same time and returns
// the requests per second of each.
func measureTogether(bareAddr, quarryAddr string, dur time.Duration, threads, conns int) (bare, quarry float64, err error) {
	type result struct {
		rps float64
		err error
	}
	bc, qc := make(chan result, 1), make(chan result, 1)
	for addr, c := range map[string]chan result{bareAddr: bc, quarryAddr: qc} {
		go func() {
			rps, _, err := runWrk(addr, dur, threads, conns)
			c <- result{rps, err}
		}()
	}
	b, q := <-bc, <-qc
	if err := errors.Join(b.err, q.err); err != nil {
		return 0, 0, err
	}
	return b.rps, q.rps, nil
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the one-minute load average (Linux), or false.
func loadAverage() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

// seed creates the items table with 20 rows.
func seed(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE items (
		id BIGINT PRIMARY KEY,
		title TEXT NOT NULL,
		body TEXT NOT NULL,
		created_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `INSERT INTO items
		SELECT i, 'Item number ' || i, repeat('Some body text for the item. ', 3), TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 hour'
		FROM generate_series(1, 20) AS i`)
	return err
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// check makes sure the endpoint answers 200 with 20 items before loading it.
func check(addr string) error {
	resp, err := http.Get("http://" + addr + "/items")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var items []Item
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return fmt.Errorf("GET /items: status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || len(items) != 20 {
		return fmt.Errorf("GET /items: status %d with %d items, want 200 with 20", resp.StatusCode, len(items))
	}
	return nil
}

var (
	reqPerSec = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	requests  = regexp.MustCompile(`([0-9]+) requests in`)
	badResp   = regexp.MustCompile(`(Non-2xx or 3xx responses|Socket errors):.*`)
)

// runWrk returns wrk's requests per second and the number of requests.
func runWrk(addr string, dur time.Duration, threads, conns int) (float64, float64, error) {
	out, err := exec.Command("wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(dur.Round(time.Second)/time.Second))+"s", "http://"+addr+"/items").CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	if m := badResp.Find(out); m != nil {
		return 0, 0, fmt.Errorf("wrk: %s\n%s", m, out)
	}
	m, n := reqPerSec.FindSubmatch(out), requests.FindSubmatch(out)
	if m == nil || n == nil {
		return 0, 0, fmt.Errorf("wrk printed no request count or Requests/sec:\n%s", out)
	}
	rps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, 0, err
	}
	count, err := strconv.ParseFloat(string(n[1]), 64)
	if err != nil || count == 0 {
		return 0, 0, fmt.Errorf("wrk counted no requests:\n%s", out)
	}
	return rps, count, nil
}

func thousands(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// createDatabase creates a uniquely named database on the PostgreSQL
// server and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, serverURL string) (string, func() error, error) {
	bu, err := dialects.ParseURL(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("-url: %w", err)
	}
	if bu.Dialect.Name() != dialects.Postgres {
		return "", nil, fmt.Errorf("-url: want a postgres:// URL, got %s", bu.Dialect.Name())
	}
	return benchdb.Create(ctx, bu, "quarry_bench_stack_")
}
