package tenancy

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// CacheOptions configures [NewCache].
type CacheOptions struct {
	// Size bounds the number of entries (found tenants and unknown slugs
	// or hosts alike); the least recently used goes first. Default 10,000.
	Size int
	// TTL bounds how long an entry is used before it is looked up again,
	// whatever the generation says. Default 30 seconds.
	TTL time.Duration
	// Generation returns the registry's generation, a number that moves on
	// every change to tenants or domains (the Registry's Generation). When
	// it differs from the last one seen, the whole cache is dropped. It is
	// asked at most once per CheckEvery, by one request while the others
	// use the cache. Nil: entries live until their TTL.
	Generation func(ctx context.Context) (int64, error)
	// CheckEvery is how often the generation is checked. Default 1 second.
	CheckEvery time.Duration
	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
	// Logger receives generation check failures (the cache then keeps
	// serving until the TTL). Default slog.Default().
	Logger *slog.Logger
}

// Cache is a Lookup that remembers another Lookup's answers, including
// "no such tenant" (so that a flood of unknown hosts does not reach the
// registry), bounded in size and age, and dropped whole when the
// registry's generation moves. Other errors are not remembered.
type Cache struct {
	l    Lookup
	opts CacheOptions

	mu      sync.Mutex
	entries map[cacheKey]*list.Element
	order   *list.List // front: most recently used

	gen       int64
	genKnown  bool
	lastCheck atomic.Int64 // unix nanoseconds of the last generation check
	checking  atomic.Bool
}

type cacheKey struct {
	host bool // a TenantByHost key, else TenantBySlug
	key  string
}

type cacheEntry struct {
	k   cacheKey
	t   *Tenant // nil: no such tenant
	err error   // ErrNoTenant (wrapped) or ErrSuspended as the lookup said
	at  time.Time
}

var _ Lookup = (*Cache)(nil)

// NewCache wraps l.
func NewCache(l Lookup, opts CacheOptions) *Cache {
	if opts.Size <= 0 {
		opts.Size = 10_000
	}
	if opts.TTL <= 0 {
		opts.TTL = 30 * time.Second
	}
	if opts.CheckEvery <= 0 {
		opts.CheckEvery = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Cache{l: l, opts: opts, entries: make(map[cacheKey]*list.Element), order: list.New()}
}

// TenantBySlug implements Lookup.
func (c *Cache) TenantBySlug(ctx context.Context, slug string) (*Tenant, error) {
	return c.get(ctx, cacheKey{key: slug}, c.l.TenantBySlug)
}

// TenantByHost implements Lookup.
func (c *Cache) TenantByHost(ctx context.Context, host string) (*Tenant, error) {
	return c.get(ctx, cacheKey{host: true, key: host}, c.l.TenantByHost)
}

// Purge drops every entry (the registry changed and the caller knows it).
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purgeLocked()
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *Cache) purgeLocked() {
	clear(c.entries)
	c.order.Init()
}

func (c *Cache) get(ctx context.Context, k cacheKey, look func(context.Context, string) (*Tenant, error)) (*Tenant, error) {
	now := c.opts.Now()
	c.checkGeneration(ctx, now)
	c.mu.Lock()
	if el, ok := c.entries[k]; ok {
		e := el.Value.(*cacheEntry)
		if now.Sub(e.at) < c.opts.TTL {
			c.order.MoveToFront(el)
			c.mu.Unlock()
			if e.t == nil {
				return nil, e.err
			}
			t := *e.t // a copy: callers cannot change the cache's
			return &t, nil
		}
		c.order.Remove(el)
		delete(c.entries, k)
	}
	gen, genKnown := c.gen, c.genKnown
	c.mu.Unlock()

	t, err := look(ctx, k.key)
	if err != nil && !errors.Is(err, ErrNoTenant) && !errors.Is(err, ErrSuspended) {
		return nil, err
	}
	e := &cacheEntry{k: k, err: err, at: now}
	if t != nil {
		cp := *t
		e.t = &cp
	}
	c.mu.Lock()
	// An answer read under an older generation is not kept: the registry
	// may have changed between the read and now.
	if c.gen == gen && c.genKnown == genKnown {
		if el, ok := c.entries[k]; ok {
			c.order.Remove(el)
		}
		c.entries[k] = c.order.PushFront(e)
		for c.order.Len() > c.opts.Size {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.entries, last.Value.(*cacheEntry).k)
		}
	}
	c.mu.Unlock()
	return t, err
}

// checkGeneration asks the registry's generation when CheckEvery has
// passed since the last check, in this request only: the others keep
// using the cache meanwhile.
func (c *Cache) checkGeneration(ctx context.Context, now time.Time) {
	if c.opts.Generation == nil {
		return
	}
	last := c.lastCheck.Load()
	if last != 0 && now.UnixNano()-last < int64(c.opts.CheckEvery) {
		return
	}
	if !c.checking.CompareAndSwap(false, true) {
		return
	}
	defer c.checking.Store(false)
	g, err := c.opts.Generation(ctx)
	c.lastCheck.Store(now.UnixNano())
	if err != nil {
		if ctx.Err() == nil {
			c.opts.Logger.WarnContext(ctx, "tenancy: registry generation check failed", "error", fmt.Errorf("tenant cache: %w", err))
		}
		return
	}
	c.mu.Lock()
	if !c.genKnown || g != c.gen {
		c.purgeLocked()
		c.gen, c.genKnown = g, true
	}
	c.mu.Unlock()
}
