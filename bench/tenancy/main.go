// Command tenancy measures the speed targets of multi-tenancy (issue 13),
// each beside its baseline in the same run:
//
//  1. quarry tenant migrate --all over N tenants with nothing pending
//     (Registry.MigrateTenants) beside a sequential loop of
//     Registry.MigrateTenant, goose's full Up check per tenant (the old
//     path);
//
//  2. one pending migration applied to N tenants: MigrateTenants beside
//     the sequential MigrateTenant loop applying another one;
//
//  3. a request resolved to one of N tenants, routed, answered with one
//     typed query, beside the same request without tenancy, on warm
//     pools; and the first request to a cold tenant apart. On SQLite
//     files the requests go to all N tenants in turn; on PostgreSQL
//     schemas to -warm of them (a warm pool holds a backend, and the
//     server's max_connections is far below N), each resolved among N.
//     Not run on PostgreSQL databases.
//
//     go run ./bench/tenancy                              # 1,000 SQLite tenants
//     go run ./bench/tenancy -dialects sqlite,postgres    # and 1,000 PostgreSQL databases
//     go run ./bench/tenancy -n 200 -concurrency 4
//     go run ./bench/tenancy -dialects postgres-schema     # 1,000 schemas in one database (schema mode)
//
// Bench shortcut: only the first tenant is made by Registry.Create; the
// others are copies of it — its SQLite file copied, or on PostgreSQL
// CREATE DATABASE … TEMPLATE it — registered in one transaction of
// TenantCreate rows. What is measured is migrating and serving them, not
// creating them. PostgreSQL uses QUARRY_TEST_POSTGRES_URL's server (or
// -postgres-url); its databases are dropped at the end. With
// postgres-schema every tenant is a schema made by Registry.Create (no
// shortcut: schemas have no templates), in the registry's scratch
// database, dropped with it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarry-go/quarry/bench/benchdb"
	"github.com/quarry-go/quarry/dialects"
	blogdb "github.com/quarry-go/quarry/examples/blog/db"
	_ "github.com/quarry-go/quarry/examples/blog/db/postgres"
	_ "github.com/quarry-go/quarry/examples/blog/db/sqlite"
	blogmigrations "github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tenancy/registrydb"
)

var (
	n           = flag.Int("n", 1000, "tenants")
	concurrency = flag.Int("concurrency", 8, "tenants migrated at once by MigrateTenants")
	dialectList = flag.String("dialects", "sqlite", "dialects: sqlite, postgres (N databases on the server), postgres-schema (N schemas in one database)")
	pgURL       = flag.String("postgres-url", os.Getenv("QUARRY_TEST_POSTGRES_URL"), "PostgreSQL server (a scratch registry database and N tenant databases are made and dropped)")
	cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the request bench")
	reqRounds   = flag.Int("rounds", 20, "request bench: rounds of one block without tenancy and one with")
	coldN       = flag.Int("cold", 200, "request bench: cold tenants, one first request each")
	warmN       = flag.Int("warm", 30, "request bench on PostgreSQL schemas: tenants served in turn on warm pools (each pool holds a backend)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()
	var lines []string
	for _, d := range strings.Split(*dialectList, ",") {
		d = strings.TrimSpace(d)
		schemas := d == "postgres-schema"
		if schemas {
			d = string(dialects.Postgres)
		}
		out, err := run(ctx, dialects.Name(d), schemas)
		lines = append(lines, out...)
		if err != nil {
			log.Fatalf("%s: %v", d, err)
		}
	}
	fmt.Printf("\nTenancy, %d tenants, concurrency %d (machine: %d CPUs, load average %s)\n\n", *n, *concurrency, runtime.NumCPU(), loadavg())
	for _, l := range lines {
		fmt.Println(l)
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// appMigrations is the blog's migrations of one dialect plus the extra
// ones switched on during the run.
type appMigrations struct {
	mu    sync.Mutex
	base  map[dialects.Name]fs.FS
	extra []string // file names, each creating a table of its name
}

func (a *appMigrations) For(d dialects.Name) (fs.FS, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	base, ok := a.base[d]
	if !ok {
		var err error
		if base, err = blogmigrations.For(d); err != nil {
			return nil, err
		}
		a.base[d] = base
	}
	if len(a.extra) == 0 {
		return base, nil
	}
	return overlay{base, slices.Clone(a.extra)}, nil
}

func (a *appMigrations) add(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.extra = append(a.extra, name)
}

// overlay adds migrations, each creating a table named after its file,
// to a directory of migrations.
type overlay struct {
	fs.FS
	extra []string
}

func (o overlay) Open(name string) (fs.File, error) {
	if slices.Contains(o.extra, name) {
		return os.Open(o.file(name))
	}
	return o.FS.Open(name)
}

func (o overlay) Glob(pattern string) ([]string, error) {
	m, err := fs.Glob(o.FS, pattern)
	if err != nil {
		return nil, err
	}
	for _, e := range o.extra {
		if ok, _ := filepath.Match(pattern, e); ok {
			m = append(m, e)
		}
	}
	return m, nil
}

// file writes (once) and returns the path of an extra migration.
func (o overlay) file(name string) string {
	p := filepath.Join(os.TempDir(), "quarry-bench-tenancy-"+name)
	if _, err := os.Stat(p); err != nil {
		table := "bench_" + strings.TrimSuffix(strings.SplitN(name, "_", 2)[1], ".sql")
		_ = os.WriteFile(p, []byte("-- +goose Up\nCREATE TABLE "+table+" (id INTEGER PRIMARY KEY, note VARCHAR(50));\n-- +goose Down\nDROP TABLE "+table+";\n"), 0o600)
	}
	return p
}

func run(ctx context.Context, name dialects.Name, schemas bool) (out []string, err error) {
	var regURL string
	var cleanup []func() error
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			if cerr := cleanup[i](); cerr != nil {
				log.Print(cerr)
			}
		}
	}()
	dir, err := os.MkdirTemp("", "quarry-bench-tenancy-")
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() error { return os.RemoveAll(dir) })
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "qbt" + hex.EncodeToString(b[:]) + "_"
	switch name {
	case dialects.SQLite:
		regURL = "sqlite:" + filepath.Join(dir, "registry.db")
	case dialects.Postgres:
		server, err := dialects.ParseURL(*pgURL)
		if err != nil {
			return nil, fmt.Errorf("-postgres-url: %w", err)
		}
		u, drop, err := benchdb.Create(ctx, server, prefix+"registry_")
		if err != nil {
			return nil, err
		}
		regURL = u
		cleanup = append(cleanup, drop)
	default:
		return nil, fmt.Errorf("dialect %q: this bench runs sqlite and postgres", name)
	}
	regDB, err := framework.OpenDatabase(ctx, regURL)
	if err != nil {
		return nil, err
	}
	defer regDB.DB.Close()
	app := &appMigrations{base: map[dialects.Name]fs.FS{}}
	reg := tenancy.NewRegistry(regDB, tenancy.RegistryOptions{SQLiteDir: filepath.Join(dir, "tenants"), DatabasePrefix: prefix, AppMigrations: app.For})
	if err := reg.Migrate(ctx); err != nil {
		return nil, err
	}
	label := map[dialects.Name]string{dialects.SQLite: "SQLite files", dialects.Postgres: "PostgreSQL databases"}[name]
	if schemas {
		label = "PostgreSQL schemas (one database)"
	}

	// Setup: one tenant made by Create, the others copied from it.
	start := time.Now()
	var tenants []*tenancy.Tenant
	var dropAll func() error
	if schemas {
		tenants, err = createSchemas(ctx, reg)
	} else {
		tenants, dropAll, err = bulkCreate(ctx, reg, regDB, name, prefix)
	}
	if dropAll != nil {
		cleanup = append(cleanup, dropAll)
	}
	if err != nil {
		return nil, err
	}
	log.Printf("%s: %d tenants set up in %s", name, len(tenants), time.Since(start).Round(time.Millisecond))

	// 1. Nothing pending.
	seq, err := sequential(ctx, reg, tenants)
	if err != nil {
		return nil, fmt.Errorf("sequential MigrateTenant: %w", err)
	}
	fast1, err := fast(ctx, reg, 1, 0, tenancy.MigrateUpToDate)
	if err != nil {
		return nil, err
	}
	fastC, err := fast(ctx, reg, *concurrency, 0, tenancy.MigrateUpToDate)
	if err != nil {
		return nil, err
	}
	out = append(out,
		fmt.Sprintf("%s, migrate --all, nothing pending (target < 10 s):", label),
		fmt.Sprintf("  baseline, MigrateTenant one by one (goose's full Up): %8s", seq.Round(time.Millisecond)),
		fmt.Sprintf("  MigrateTenants, concurrency 1:                        %8s  (%.1fx)", fast1.Round(time.Millisecond), seq.Seconds()/fast1.Seconds()),
		fmt.Sprintf("  %-53s %8s  (%.1fx)", fmt.Sprintf("MigrateTenants, concurrency %d:", *concurrency), fastC.Round(time.Millisecond), seq.Seconds()/fastC.Seconds()))

	// 2. One pending migration: the baseline applies one, MigrateTenants the next.
	app.add("90000001_bench_a.sql")
	seqP, err := sequential(ctx, reg, tenants)
	if err != nil {
		return nil, fmt.Errorf("sequential MigrateTenant, one pending: %w", err)
	}
	app.add("90000002_bench_b.sql")
	fastP, err := fast(ctx, reg, *concurrency, len(tenants), tenancy.MigrateApplied)
	if err != nil {
		return nil, err
	}
	out = append(out,
		fmt.Sprintf("%s, one pending migration applied to every tenant (target < 2 min):", label),
		fmt.Sprintf("  baseline, MigrateTenant one by one:                   %8s", seqP.Round(time.Millisecond)),
		fmt.Sprintf("  %-53s %8s  (%.1fx)", fmt.Sprintf("MigrateTenants, concurrency %d:", *concurrency), fastP.Round(time.Millisecond), seqP.Seconds()/fastP.Seconds()))

	// 3. Requests (SQLite files, PostgreSQL schemas).
	if name == dialects.SQLite || schemas {
		warm, maxCold := len(tenants), len(tenants)+10
		if schemas { // a warm pool holds a backend: stay under max_connections
			warm, maxCold = min(*warmN, len(tenants)), 10
		}
		lines, err := requests(ctx, reg, tenants, label, warm, maxCold)
		if err != nil {
			return out, fmt.Errorf("requests: %w", err)
		}
		out = append(out, lines...)
	}
	out = append(out, "")
	return out, nil
}

// bulkCreate makes tenant t0000 with Registry.Create and the others as
// copies of its database, registered in one transaction (a bench
// shortcut). dropAll drops the copies' server databases.
func bulkCreate(ctx context.Context, reg *tenancy.Registry, regDB *framework.Database, name dialects.Name, prefix string) ([]*tenancy.Tenant, func() error, error) {
	first, err := reg.Create(ctx, tenancy.CreateParams{Slug: "t0000"})
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := dialects.ParseURL(first.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	urls := make([]string, *n)
	urls[0] = first.DatabaseURL
	var dropAll func() error
	var made []string
	var mu sync.Mutex
	switch name {
	case dialects.SQLite:
		data, err := os.ReadFile(tmpl.Database)
		if err != nil {
			return nil, nil, err
		}
		for i := 1; i < *n; i++ {
			p := filepath.Join(reg.SQLiteDir(), fmt.Sprintf("t%04d.db", i))
			if err := os.WriteFile(p, data, 0o600); err != nil {
				return nil, nil, err
			}
			urls[i] = "sqlite:" + filepath.ToSlash(p)
		}
	case dialects.Postgres:
		admin, err := dialects.OpenURL(ctx, regDB.URL)
		if err != nil {
			return nil, nil, err
		}
		defer admin.Close()
		admin.SetMaxOpenConns(4)
		dropAll = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			db, err := dialects.OpenURL(ctx, regDB.URL)
			if err != nil {
				return err
			}
			defer db.Close()
			db.SetMaxOpenConns(4)
			var errs []error
			var emu sync.Mutex
			parallel(append(made, tmpl.Database), 4, func(d string) {
				if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d+" WITH (FORCE)"); err != nil {
					emu.Lock()
					errs = append(errs, err)
					emu.Unlock()
				}
			})
			return errors.Join(errs...)
		}
		idx := make([]int, 0, *n)
		for i := 1; i < *n; i++ {
			idx = append(idx, i)
		}
		var failed atomic.Value
		parallel(idx, 4, func(i int) {
			dbName := fmt.Sprintf("%st%04d", prefix, i)
			if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+dbName+" TEMPLATE "+tmpl.Database); err != nil {
				failed.Store(err)
				return
			}
			mu.Lock()
			made = append(made, dbName)
			mu.Unlock()
			u, err := regDB.URL.WithDatabase(dbName)
			if err != nil {
				failed.Store(err)
				return
			}
			urls[i] = u.Raw
		})
		if err, _ := failed.Load().(error); err != nil {
			return nil, dropAll, err
		}
	}
	err = regDB.InTx(ctx, nil, func(tx *framework.Tx) error {
		q := registrydb.Queries(tx)
		for i := 1; i < *n; i++ {
			if _, err := q.TenantCreate(ctx, registrydb.TenantCreateParams{Slug: fmt.Sprintf("t%04d", i), Name: fmt.Sprintf("Tenant %d", i),
				Mode: string(tenancy.ModeDatabase), DatabaseUrl: urls[i], Status: string(tenancy.StatusActive)}); err != nil {
				return err
			}
		}
		return q.GenerationBump(ctx)
	})
	if err != nil {
		return nil, dropAll, err
	}
	ts, err := reg.List(ctx)
	return ts, dropAll, err
}

// createSchemas creates the n schema tenants with Registry.Create, four at
// a time (a schema cannot be copied from a template; they are dropped
// with the registry's scratch database).
func createSchemas(ctx context.Context, reg *tenancy.Registry) ([]*tenancy.Tenant, error) {
	idx := make([]int, *n)
	for i := range idx {
		idx[i] = i
	}
	var failed atomic.Value
	parallel(idx, 4, func(i int) {
		if failed.Load() != nil {
			return
		}
		if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: fmt.Sprintf("t%04d", i), Mode: tenancy.ModeSchema}); err != nil {
			failed.Store(err)
		}
	})
	if err, _ := failed.Load().(error); err != nil {
		return nil, err
	}
	return reg.List(ctx)
}

func parallel[T any](items []T, k int, fn func(T)) {
	sem := make(chan struct{}, k)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(it)
		})
	}
	wg.Wait()
}

// sequential is the baseline: MigrateTenant on each tenant, one by one.
func sequential(ctx context.Context, reg *tenancy.Registry, ts []*tenancy.Tenant) (time.Duration, error) {
	start := time.Now()
	for _, t := range ts {
		if err := reg.MigrateTenant(ctx, t); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// fast runs MigrateTenants and checks that every tenant had the outcome
// want (and that migrated database tenants got exactly one migration;
// MigrateTenant, which migrates the other modes, does not list them).
func fast(ctx context.Context, reg *tenancy.Registry, c, _ int, want tenancy.MigrateOutcome) (time.Duration, error) {
	var bad error
	sum, err := reg.MigrateTenants(ctx, tenancy.MigrateAllOptions{Concurrency: c, Report: func(m tenancy.TenantMigration) {
		if bad == nil && (m.Outcome != want || (want == tenancy.MigrateApplied && m.Tenant.Mode == tenancy.ModeDatabase && len(m.Applied) != 1)) {
			bad = fmt.Errorf("%s: %s (%d applied), want %s: %v", m.Tenant.Slug, m.Outcome, len(m.Applied), want, m.Err)
		}
	}})
	if err == nil {
		err = bad
	}
	if err != nil {
		return 0, err
	}
	return sum.Duration, nil
}

// requests measures a request to one of the tenants (subdomain, the
// registry behind a Cache, a Pools holding every tenant's pool), routed
// by a net/http ServeMux to a handler running one typed query
// (PostGetBySlug), beside the same router and handler on one database
// without tenancy; blocks of each alternate. The requests go to the
// first warm tenants in turn (resolved among all of ts). Then the first
// request to cold tenants (new Cache and Pools, at most maxCold pools).
func requests(ctx context.Context, reg *tenancy.Registry, ts []*tenancy.Tenant, label string, warm, maxCold int) ([]string, error) {
	router := http.NewServeMux()
	router.HandleFunc("GET /posts/{slug}", func(w http.ResponseWriter, r *http.Request) {
		_, err := blogdb.Queries(framework.DatabaseFrom(r.Context())).PostGetBySlug(r.Context(), r.PathValue("slug"))
		switch {
		case errors.Is(err, queries.ErrNotFound):
			w.WriteHeader(http.StatusNotFound)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})
	plain, err := reg.Open(ctx, ts[0]) // one database, migrated as every tenant
	if err != nil {
		return nil, err
	}
	defer plain.DB.Close()
	plain.DB.SetMaxOpenConns(5)

	newStack := func(maxOpen int) (http.Handler, *tenancy.Pools, error) {
		pools, err := tenancy.NewPools(tenancy.PoolOptions{Open: reg.Open, MaxOpen: maxOpen})
		if err != nil {
			return nil, nil, err
		}
		cache := tenancy.NewCache(reg, tenancy.CacheOptions{Generation: reg.Generation})
		mw, err := tenancy.Middleware(tenancy.Options{Lookup: cache, Pools: pools, Resolvers: tenancy.DefaultResolvers("example.com")})
		if err != nil {
			return nil, nil, err
		}
		return mw(router), pools, nil
	}
	tenanted, pools, err := newStack(warm + 10)
	if err != nil {
		return nil, err
	}
	defer pools.Close()

	// The same databases without tenancy: one pool per tenant, picked by
	// index, no resolver, cache or Pools.
	direct := make([]*framework.Database, warm)
	for i, t := range ts[:warm] {
		if direct[i], err = reg.Open(ctx, t); err != nil {
			return nil, err
		}
		defer direct[i].DB.Close()
		direct[i].DB.SetMaxOpenConns(5)
	}
	serveOn := func(h http.Handler, host string, db *framework.Database) error {
		r := httptest.NewRequest("GET", "/posts/absent", nil)
		r.Host = host
		if db != nil {
			r = r.WithContext(framework.WithDatabase(r.Context(), db))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			return fmt.Errorf("%s: %d %s", host, w.Code, w.Body.String())
		}
		return nil
	}
	serve := func(h http.Handler, host string, withDB bool) error {
		if withDB {
			return serveOn(h, host, plain)
		}
		return serveOn(h, host, nil)
	}
	hosts := make([]string, len(ts))
	for i, t := range ts {
		hosts[i] = t.Slug + ".example.com"
	}
	allHosts := hosts
	hosts = hosts[:warm]
	// Warm every tenant's pool and cache entry, and the plain database.
	for _, h := range hosts {
		if err := serve(tenanted, h, false); err != nil {
			return nil, err
		}
	}
	for range 1000 {
		if err := serve(router, "example.com", true); err != nil {
			return nil, err
		}
	}
	block := max(len(hosts), 1000) // requests a block; tenants in turn
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return nil, err
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	for i := range direct {
		if err := serveOn(router, "example.com", direct[i]); err != nil {
			return nil, err
		}
	}
	var plainT, tenT, directT, oneT []time.Duration
	for range *reqRounds {
		start := time.Now()
		for i := range block {
			if err := serveOn(router, "example.com", direct[i%warm]); err != nil {
				return nil, err
			}
		}
		directT = append(directT, time.Since(start)/time.Duration(block))
		start = time.Now()
		for range block {
			if err := serve(router, "example.com", true); err != nil {
				return nil, err
			}
		}
		plainT = append(plainT, time.Since(start)/time.Duration(block))
		start = time.Now()
		for i := range block {
			if err := serve(tenanted, hosts[i%warm], false); err != nil {
				return nil, err
			}
		}
		tenT = append(tenT, time.Since(start)/time.Duration(block))
		start = time.Now()
		for range block {
			if err := serve(tenanted, hosts[0], false); err != nil {
				return nil, err
			}
		}
		oneT = append(oneT, time.Since(start)/time.Duration(block))
	}
	mp, mt, md, mo := median(plainT), median(tenT), median(directT), median(oneT)

	// Cold: a new cache and new pools; the first request to each tenant.
	cold, coldPools, err := newStack(maxCold)
	if err != nil {
		return nil, err
	}
	defer coldPools.Close()
	var first, second []time.Duration
	for i := 0; i < min(*coldN, len(allHosts)); i++ {
		h := allHosts[(i*7919)%len(allHosts)]
		start := time.Now()
		if err := serve(cold, h, false); err != nil {
			return nil, err
		}
		first = append(first, time.Since(start))
		start = time.Now()
		if err := serve(cold, h, false); err != nil {
			return nil, err
		}
		second = append(second, time.Since(start))
	}
	one, same := "one database", "databases"
	if warm < len(ts) {
		one, same = "one schema's pool", "schemas"
	}
	return []string{
		fmt.Sprintf("%s, a request (subdomain → tenant, route, one typed query), median of %d blocks of %d requests (target: tenancy adds < 10%%):", label, *reqRounds, block),
		fmt.Sprintf("  %-53s %8.1f µs", "without tenancy ("+one+"):", us(mp)),
		fmt.Sprintf("  %-53s %8.1f µs  (%+.1f%%: many pools, no tenancy code)", fmt.Sprintf("without tenancy, the same %d %s in turn:", warm, same), us(md), 100*(us(md)/us(mp)-1)),
		fmt.Sprintf("  %-53s %8.1f µs  (%+.1f%%; %+.1f%% over the same %s in turn)", fmt.Sprintf("with tenancy, %d of %d tenants in turn, warm pools:", warm, len(ts)), us(mt), 100*(us(mt)/us(mp)-1), 100*(us(mt)/us(md)-1), same),
		fmt.Sprintf("  %-53s %8.1f µs  (%+.1f%%)", "with tenancy, always the same tenant:", us(mo), 100*(us(mo)/us(mp)-1)),
		fmt.Sprintf("  %-53s %8.1f µs  (p90 %.1f µs; its second request %.1f µs)", fmt.Sprintf("first request to a cold tenant (median of %d; p90):", len(first)),
			us(median(first)), us(pct(first, 0.9)), us(median(second))),
	}, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func median(ds []time.Duration) time.Duration { return pct(ds, 0.5) }

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}
