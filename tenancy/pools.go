package tenancy

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quarry-go/quarry/framework"
)

// PoolOptions configures [NewPools].
type PoolOptions struct {
	// Open opens a tenant's database (the Registry's Open). Required.
	Open func(ctx context.Context, t *Tenant) (*framework.Database, error)
	// MaxOpen bounds the pools kept open; opening one more closes the
	// least recently used idle one. Pools still serving requests are
	// closed when their last request ends, so the count may pass MaxOpen
	// by the pools busy at that moment. Default 100.
	MaxOpen int
	// IdleTimeout closes a pool unused for that long. Default 5 minutes;
	// negative for never.
	IdleTimeout time.Duration
	// MaxConnsPerPool caps each tenant pool's open connections
	// (sql.DB.SetMaxOpenConns; a pool that Open already capped lower keeps
	// its cap). Default 5.
	MaxConnsPerPool int
	// OpenTimeout bounds opening one pool. Default 30 seconds.
	OpenTimeout time.Duration
	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
	// Logger receives close errors. Default slog.Default().
	Logger *slog.Logger
}

// ErrPoolsClosed is returned by Acquire after Close.
var ErrPoolsClosed = errors.New("tenancy: pools closed")

// Pools keeps the open database pools of the tenants being served: a
// bounded LRU, so that ten thousand tenants do not mean ten thousand
// pools. Concurrent first requests to a tenant open one pool between
// them; a pool is closed when it is evicted (too many open, idle too
// long, or Evict) and no request still holds it, and at Close.
type Pools struct {
	opts PoolOptions

	mu     sync.Mutex
	byID   map[int64]*poolEntry
	lru    *list.List // of *poolEntry, front: most recently used
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

type poolEntry struct {
	id    int64
	where string // the tenant's URL or schema: a change means another pool

	ready chan struct{} // closed when the open finished
	db    *framework.Database
	err   error

	refs    int
	gone    bool // evicted: closed when refs drops to 0
	lastUse time.Time
	el      *list.Element
}

// NewPools returns an empty set of pools; with an IdleTimeout it starts a
// goroutine that closes idle pools, stopped by Close.
func NewPools(opts PoolOptions) (*Pools, error) {
	if opts.Open == nil {
		return nil, errors.New("tenancy: PoolOptions.Open is required (the Registry's Open)")
	}
	if opts.MaxOpen <= 0 {
		opts.MaxOpen = 100
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 5 * time.Minute
	}
	if opts.MaxConnsPerPool <= 0 {
		opts.MaxConnsPerPool = 5
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Pools{opts: opts, byID: make(map[int64]*poolEntry), lru: list.New(), stop: make(chan struct{}), done: make(chan struct{})}
	if opts.IdleTimeout > 0 {
		go p.sweeper(max(opts.IdleTimeout/4, 100*time.Millisecond))
	} else {
		close(p.done)
	}
	return p, nil
}

func (p *Pools) sweeper(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.CloseIdle()
		}
	}
}

func where(t *Tenant) string { return string(t.Mode) + "\x00" + t.DatabaseURL + "\x00" + t.Schema }

// Acquire returns t's database, opening its pool on first use, and the
// release function the caller must call (once) when done with it. The
// pool stays open at least until then.
func (p *Pools) Acquire(ctx context.Context, t *Tenant) (*framework.Database, func(), error) {
	w := where(t)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, nil, ErrPoolsClosed
	}
	e := p.byID[t.ID]
	var moved *poolEntry
	if e != nil && e.where != w { // moved: the old pool goes
		moved = p.evictLocked(e)
		e = nil
	}
	if e == nil {
		e = &poolEntry{id: t.ID, where: w, ready: make(chan struct{}), refs: 1, lastUse: p.opts.Now()}
		e.el = p.lru.PushFront(e)
		p.byID[t.ID] = e
		p.mu.Unlock()
		if moved != nil {
			p.closeAll([]*poolEntry{moved})
		}
		p.open(ctx, e, t)
		if e.err != nil {
			return nil, nil, e.err
		}
		return e.db, p.releaser(e), nil
	}
	e.refs++
	p.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		p.release(e)
		return nil, nil, fmt.Errorf("tenant %q: waiting for its pool: %w", t.Slug, ctx.Err())
	}
	if e.err != nil {
		p.release(e)
		return nil, nil, e.err
	}
	p.mu.Lock()
	e.lastUse = p.opts.Now()
	if !e.gone {
		p.lru.MoveToFront(e.el)
	}
	p.mu.Unlock()
	return e.db, p.releaser(e), nil
}

// open opens e's pool for the request that created e; the others wait on
// e.ready. The open is not cancelled with the request's context (the
// waiters share it), only bounded by OpenTimeout.
func (p *Pools) open(ctx context.Context, e *poolEntry, t *Tenant) {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.OpenTimeout)
	defer cancel()
	db, err := p.opts.Open(octx, t)
	if err == nil && db == nil {
		err = errors.New("Open returned no database")
	}
	if err == nil {
		if cur := db.DB.Stats().MaxOpenConnections; cur == 0 || cur > p.opts.MaxConnsPerPool {
			db.DB.SetMaxOpenConns(p.opts.MaxConnsPerPool)
			db.DB.SetMaxIdleConns(p.opts.MaxConnsPerPool)
		}
	}
	p.mu.Lock()
	if err != nil {
		e.err = fmt.Errorf("tenant %q: open its database: %w", t.Slug, err)
		if p.byID[e.id] == e {
			delete(p.byID, e.id)
		}
		if !e.gone {
			p.lru.Remove(e.el)
		}
		e.gone = true
		e.refs-- // the opener's reference; the waiters drop theirs
		close(e.ready)
		p.mu.Unlock()
		return
	}
	e.db = db
	close(e.ready)
	var toClose []*poolEntry
	if e.gone { // evicted (Close, Evict) while opening; the last release closes it
		p.mu.Unlock()
		return
	}
	// Too many open: evict the least recently used idle pools; busy ones
	// are evicted too and close when their requests end.
	for el := p.lru.Back(); el != nil && p.lru.Len() > p.opts.MaxOpen; {
		prev := el.Prev()
		if v := el.Value.(*poolEntry); v != e {
			if c := p.evictLocked(v); c != nil {
				toClose = append(toClose, c)
			}
		}
		el = prev
	}
	p.mu.Unlock()
	p.closeAll(toClose)
}

// evictLocked removes e from the set and returns it when it must be
// closed now (no request holds it; it has finished opening). p.mu is held.
func (p *Pools) evictLocked(e *poolEntry) *poolEntry {
	if e.gone {
		return nil
	}
	e.gone = true
	p.lru.Remove(e.el)
	if p.byID[e.id] == e {
		delete(p.byID, e.id)
	}
	if e.refs == 0 && e.db != nil {
		return e
	}
	return nil // release closes it when its last reference goes
}

func (p *Pools) releaser(e *poolEntry) func() {
	var once sync.Once
	return func() { once.Do(func() { p.release(e) }) }
}

func (p *Pools) release(e *poolEntry) {
	p.mu.Lock()
	e.refs--
	e.lastUse = p.opts.Now()
	closeNow := e.gone && e.refs == 0 && e.db != nil
	p.mu.Unlock()
	if closeNow {
		p.closeAll([]*poolEntry{e})
	}
}

func (p *Pools) closeAll(es []*poolEntry) {
	for _, e := range es {
		if err := e.db.DB.Close(); err != nil {
			p.opts.Logger.Warn("tenancy: close tenant pool", "tenant_id", e.id, "error", err)
		}
	}
}

// Evict closes the pool of the tenant with id (once no request holds it),
// e.g. after the tenant was suspended, deleted or moved.
func (p *Pools) Evict(id int64) {
	p.mu.Lock()
	var c *poolEntry
	if e := p.byID[id]; e != nil {
		c = p.evictLocked(e)
	}
	p.mu.Unlock()
	if c != nil {
		p.closeAll([]*poolEntry{c})
	}
}

// CloseIdle closes the pools unused for IdleTimeout. The sweeper calls it;
// it is exported for tests and for apps that sweep on their own schedule.
func (p *Pools) CloseIdle() {
	if p.opts.IdleTimeout <= 0 {
		return
	}
	now := p.opts.Now()
	var toClose []*poolEntry
	p.mu.Lock()
	for el := p.lru.Back(); el != nil; {
		prev := el.Prev()
		e := el.Value.(*poolEntry)
		if e.refs == 0 && e.db != nil && now.Sub(e.lastUse) >= p.opts.IdleTimeout {
			if c := p.evictLocked(e); c != nil {
				toClose = append(toClose, c)
			}
		}
		el = prev
	}
	p.mu.Unlock()
	p.closeAll(toClose)
}

// Len returns the number of pools in the set (open or opening; pools
// evicted while in use are not counted).
func (p *Pools) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lru.Len()
}

// Close closes every pool no request holds and stops the sweeper; pools
// still in use close when released. Acquire fails afterwards.
func (p *Pools) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var toClose []*poolEntry
	for el := p.lru.Front(); el != nil; {
		next := el.Next()
		if c := p.evictLocked(el.Value.(*poolEntry)); c != nil {
			toClose = append(toClose, c)
		}
		el = next
	}
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	var errs []error
	for _, e := range toClose {
		if err := e.db.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("tenant %d: close pool: %w", e.id, err))
		}
	}
	return errors.Join(errs...)
}
