package tenancy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
)

// sqliteTenants returns n tenants, each with a SQLite file of its own, and
// an Open that opens them and counts the opens.
func sqliteTenants(t *testing.T, n int) ([]*Tenant, func(context.Context, *Tenant) (*framework.Database, error), *atomic.Int64) {
	t.Helper()
	dir := t.TempDir()
	ts := make([]*Tenant, n)
	for i := range ts {
		ts[i] = &Tenant{ID: int64(i + 1), Slug: fmt.Sprint("t", i+1), Mode: ModeDatabase, Status: StatusActive,
			DatabaseURL: "sqlite:" + filepath.Join(dir, fmt.Sprintf("t%d.db", i+1))}
	}
	var opens atomic.Int64
	open := func(ctx context.Context, t *Tenant) (*framework.Database, error) {
		opens.Add(1)
		return framework.OpenDatabase(ctx, t.DatabaseURL)
	}
	return ts, open, &opens
}

func isClosed(d *framework.Database) bool {
	err := d.DB.Ping()
	return err != nil && err.Error() == "sql: database is closed"
}

func newTestPools(t *testing.T, opts PoolOptions) *Pools {
	t.Helper()
	p, err := NewPools(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestPoolsSingleFlight(t *testing.T) {
	ts, open, opens := sqliteTenants(t, 4)
	p := newTestPools(t, PoolOptions{Open: open, MaxOpen: 10})
	ctx := context.Background()
	var wg sync.WaitGroup
	dbs := make([]*framework.Database, 64)
	for i := range dbs {
		wg.Go(func() {
			tn := ts[i%len(ts)]
			d, release, err := p.Acquire(ctx, tn)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			if _, err := d.DB.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS hits (n INTEGER)"); err != nil {
				t.Error(err)
			}
			dbs[i] = d
		})
	}
	wg.Wait()
	if n := opens.Load(); n != 4 {
		t.Fatalf("%d opens for 4 cold tenants under 64 concurrent requests, want 4", n)
	}
	for i, d := range dbs {
		if d != dbs[i%len(ts)] {
			t.Fatalf("request %d got another pool than its tenant's first", i)
		}
		if got := d.DB.Stats().MaxOpenConnections; got > 5 || got == 0 {
			t.Fatalf("pool cap %d, want at most 5", got)
		}
	}
}

func TestPoolsLRUAndRefcounts(t *testing.T) {
	ts, open, opens := sqliteTenants(t, 5)
	p := newTestPools(t, PoolOptions{Open: open, MaxOpen: 2, MaxConnsPerPool: 2, IdleTimeout: -1})
	ctx := context.Background()

	d1, rel1, err := p.Acquire(ctx, ts[0]) // held across the evictions
	if err != nil {
		t.Fatal(err)
	}
	d2, rel2, err := p.Acquire(ctx, ts[1])
	if err != nil {
		t.Fatal(err)
	}
	rel2()
	if got := d2.DB.Stats().MaxOpenConnections; got != 2 {
		t.Fatalf("per-pool cap %d, want 2", got)
	}
	// A third tenant evicts the least recently used: tenant 1, still held,
	// is evicted but not closed; tenant 2 stays.
	d3, rel3, err := p.Acquire(ctx, ts[2])
	if err != nil {
		t.Fatal(err)
	}
	rel3()
	if p.Len() != 2 {
		t.Fatalf("%d pools in the set, want 2", p.Len())
	}
	if isClosed(d1) {
		t.Fatal("a pool in use was closed on eviction")
	}
	if err := d1.DB.PingContext(ctx); err != nil {
		t.Fatalf("evicted pool in use: %v", err)
	}
	rel1()
	rel1() // release is idempotent
	if !isClosed(d1) {
		t.Fatal("an evicted pool was not closed when its last request ended")
	}
	// An idle pool is closed at once on eviction.
	if _, rel, err := p.Acquire(ctx, ts[3]); err != nil {
		t.Fatal(err)
	} else {
		rel()
	}
	if !isClosed(d2) {
		t.Fatal("the least recently used idle pool was not closed")
	}
	if isClosed(d3) {
		t.Fatal("a recently used pool was closed")
	}
	// Tenant 1 again: a new pool.
	d1b, rel, err := p.Acquire(ctx, ts[0])
	if err != nil {
		t.Fatal(err)
	}
	rel()
	if d1b == d1 || opens.Load() != 5 {
		t.Fatalf("reopening an evicted tenant: same pool %v, opens %d", d1b == d1, opens.Load())
	}

	// Evict closes a tenant's pool (suspended, deleted).
	p.Evict(ts[0].ID)
	if !isClosed(d1b) {
		t.Fatal("Evict left the pool open")
	}

	// A moved tenant (new URL) gets a new pool; the old one closes.
	d4, rel, _ := p.Acquire(ctx, ts[3])
	rel()
	moved := *ts[3]
	moved.DatabaseURL = ts[4].DatabaseURL
	d4b, rel, err := p.Acquire(ctx, &moved)
	if err != nil {
		t.Fatal(err)
	}
	rel()
	if d4b == d4 || !isClosed(d4) {
		t.Fatal("a tenant whose URL changed kept its old pool")
	}

	// Close closes the rest; Acquire fails afterwards.
	held, relHeld, err := p.Acquire(ctx, ts[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !isClosed(d4b) {
		t.Fatal("Close left an idle pool open")
	}
	if isClosed(held) {
		t.Fatal("Close closed a pool still in use")
	}
	relHeld()
	if !isClosed(held) {
		t.Fatal("a pool in use at Close was not closed at its release")
	}
	if _, _, err := p.Acquire(ctx, ts[0]); !errors.Is(err, ErrPoolsClosed) {
		t.Fatalf("Acquire after Close: %v", err)
	}
}

func TestPoolsIdleEviction(t *testing.T) {
	ts, open, _ := sqliteTenants(t, 2)
	clk := newClock()
	p := newTestPools(t, PoolOptions{Open: open, IdleTimeout: time.Hour, Now: clk.Now})
	ctx := context.Background()
	d1, rel1, _ := p.Acquire(ctx, ts[0])
	rel1()
	d2, rel2, _ := p.Acquire(ctx, ts[1]) // held: never idle
	clk.Advance(30 * time.Minute)
	p.CloseIdle()
	if isClosed(d1) {
		t.Fatal("closed before the idle timeout")
	}
	clk.Advance(31 * time.Minute)
	p.CloseIdle()
	if !isClosed(d1) {
		t.Fatal("idle pool not closed")
	}
	if isClosed(d2) {
		t.Fatal("a pool in use was closed as idle")
	}
	rel2()
	if p.Len() != 1 {
		t.Fatalf("Len = %d", p.Len())
	}
}

func TestPoolsOpenFailure(t *testing.T) {
	var calls atomic.Int64
	boom := errors.New("server down")
	gate := make(chan struct{})
	p := newTestPools(t, PoolOptions{Open: func(context.Context, *Tenant) (*framework.Database, error) {
		calls.Add(1)
		<-gate
		return nil, boom
	}})
	tn := &Tenant{ID: 1, Slug: "acme"}
	var wg sync.WaitGroup
	var started sync.WaitGroup
	for range 8 {
		started.Add(1)
		wg.Go(func() {
			started.Done()
			if _, _, err := p.Acquire(context.Background(), tn); !errors.Is(err, boom) {
				t.Errorf("Acquire: %v, want the open error", err)
			}
		})
	}
	started.Wait()
	close(gate)
	wg.Wait()
	if p.Len() != 0 {
		t.Fatalf("a failed open stayed in the set")
	}
	before := calls.Load()
	if _, _, err := p.Acquire(context.Background(), tn); !errors.Is(err, boom) || calls.Load() != before+1 {
		t.Fatalf("a failed open was remembered: %v", err)
	}
}

func TestPoolsStress(t *testing.T) {
	ts, open, _ := sqliteTenants(t, 12)
	p := newTestPools(t, PoolOptions{Open: open, MaxOpen: 3, MaxConnsPerPool: 2})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 24 {
		wg.Go(func() {
			for i := range 40 {
				tn := ts[(g*7+i)%len(ts)]
				d, release, err := p.Acquire(ctx, tn)
				if err != nil {
					t.Error(err)
					return
				}
				var one int
				if err := d.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
					t.Errorf("tenant %s: a pool closed under a request: %v", tn.Slug, err)
				}
				release()
			}
		})
	}
	wg.Wait()
	if n := p.Len(); n > 3 {
		t.Fatalf("%d pools left open, want at most 3", n)
	}
}
