package tenancy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	l := newMemLookup(&Tenant{ID: 1, Slug: "acme", Name: "Acme"})
	l.hosts["shop.acme.test"] = l.slugs["acme"]
	clk := newClock()
	var gen, genCalls atomic.Int64
	c := NewCache(l, CacheOptions{Size: 3, TTL: time.Minute, Now: clk.Now,
		Generation: func(context.Context) (int64, error) { genCalls.Add(1); return gen.Load(), nil }})

	// Hits are served from the cache, misses too.
	for range 5 {
		if got, err := c.TenantBySlug(ctx, "acme"); err != nil || got.Name != "Acme" {
			t.Fatalf("TenantBySlug = %v, %v", got, err)
		}
		if _, err := c.TenantBySlug(ctx, "nobody"); !errors.Is(err, ErrNoTenant) {
			t.Fatalf("unknown slug: %v", err)
		}
		if got, err := c.TenantByHost(ctx, "shop.acme.test"); err != nil || got.ID != 1 {
			t.Fatalf("TenantByHost = %v, %v", got, err)
		}
	}
	if n := l.calls.Load(); n != 3 {
		t.Fatalf("lookups = %d, want 3 (one per key)", n)
	}
	if n := genCalls.Load(); n != 1 {
		t.Fatalf("generation checked %d times within a second, want 1", n)
	}
	// A caller changing its copy does not change the cache's.
	got, _ := c.TenantBySlug(ctx, "acme")
	got.Name = "changed"
	if again, _ := c.TenantBySlug(ctx, "acme"); again.Name != "Acme" {
		t.Fatal("the cache handed out its own tenant")
	}

	// A registry change is seen once the generation moves and a second
	// has passed, not before.
	l.mu.Lock()
	l.slugs["acme"] = &Tenant{ID: 1, Slug: "acme", Name: "Acme", Status: StatusSuspended}
	l.slugs["nobody"] = &Tenant{ID: 2, Slug: "nobody"}
	l.mu.Unlock()
	gen.Add(1)
	clk.Advance(500 * time.Millisecond)
	if got, _ := c.TenantBySlug(ctx, "acme"); got.Status == StatusSuspended {
		t.Fatal("generation checked before a second passed")
	}
	clk.Advance(600 * time.Millisecond)
	if got, _ := c.TenantBySlug(ctx, "acme"); got.Status != StatusSuspended {
		t.Fatalf("after the generation moved: status %q, want suspended", got.Status)
	}
	if _, err := c.TenantBySlug(ctx, "nobody"); err != nil {
		t.Fatalf("a negative entry survived the generation change: %v", err)
	}

	// The TTL bounds an entry's age even with no generation change.
	l.mu.Lock()
	l.slugs["acme"].Name = "Acme 2"
	l.mu.Unlock()
	clk.Advance(59 * time.Second)
	if got, _ := c.TenantBySlug(ctx, "acme"); got.Name != "Acme" {
		t.Fatalf("entry refreshed before its TTL: %q", got.Name)
	}
	clk.Advance(2 * time.Second)
	if got, _ := c.TenantBySlug(ctx, "acme"); got.Name != "Acme 2" {
		t.Fatalf("entry kept past its TTL: %q", got.Name)
	}

	// Size is bounded; the least recently used goes.
	for i := range 10 {
		_, _ = c.TenantBySlug(ctx, fmt.Sprint("x", i))
	}
	if n := c.Len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}

	// Other errors are passed through, not remembered.
	boom := errors.New("registry down")
	l.mu.Lock()
	l.failing = boom
	l.mu.Unlock()
	if _, err := c.TenantBySlug(ctx, "fresh"); !errors.Is(err, boom) {
		t.Fatalf("failing lookup: %v", err)
	}
	l.mu.Lock()
	l.failing = nil
	l.slugs["fresh"] = &Tenant{ID: 9, Slug: "fresh"}
	l.mu.Unlock()
	if got, err := c.TenantBySlug(ctx, "fresh"); err != nil || got.ID != 9 {
		t.Fatalf("after a failure: %v, %v", got, err)
	}
}

func TestCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	l := newMemLookup()
	for i := range 50 {
		s := fmt.Sprint("t", i)
		l.slugs[s] = &Tenant{ID: int64(i), Slug: s}
	}
	var gen atomic.Int64
	c := NewCache(l, CacheOptions{Size: 20, CheckEvery: time.Nanosecond,
		Generation: func(context.Context) (int64, error) { return gen.Add(1) / 7, nil }})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				n := (g*31 + i) % 60
				got, err := c.TenantBySlug(ctx, fmt.Sprint("t", n))
				if n < 50 && (err != nil || got.ID != int64(n)) {
					t.Errorf("t%d: %v, %v", n, got, err)
					return
				}
				if n >= 50 && !errors.Is(err, ErrNoTenant) {
					t.Errorf("t%d: %v", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 20 {
		t.Fatalf("cache grew to %d", c.Len())
	}
}
