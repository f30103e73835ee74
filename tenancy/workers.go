package tenancy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
)

// WorkerOptions configures [NewWorkers].
type WorkerOptions struct {
	// Tenants lists the tenants (the Registry's List); only active ones
	// get workers. Required.
	Tenants func(ctx context.Context) ([]*Tenant, error)
	// Pools gives each tenant's database; the workers hold their tenant's
	// pool (a reference, see Pools.Acquire) while they run. Required.
	Pools *Pools
	// NewClient builds the jobs client of one tenant over its database:
	// jobs.New(jobs.NewSQL(db), cfg) with the app's registry of kinds,
	// its queues and its periodic jobs. Required.
	NewClient func(t *Tenant, db *framework.Database) (*jobs.Client, error)
	// MaxTenants bounds the tenants whose clients run at once (each holds
	// a pool and a few connections of it). With more active tenants than
	// that, they take turns: every Refresh the clients of MaxTenants
	// tenants stop and those of the next MaxTenants start, so a job waits
	// at most about ceil(tenants/MaxTenants) × Refresh. Keep it at or
	// under the Pools' MaxOpen. Default 50.
	MaxTenants int
	// Refresh is how often the tenant list is read again: new tenants get
	// workers, suspended, deleted and moved ones lose theirs (and past
	// MaxTenants, the turn moves on). Default 30 seconds.
	Refresh time.Duration
	// Grace is how long a stopping tenant client waits for its running
	// jobs before handing them back to the queue. Default 10 seconds.
	Grace time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Main is the main database (the App's, app.Database()). Set, a
	// tenant's job sees it as a request of the tenant does: Shared(ctx)
	// in the job returns Main, where the app's shared tables are, and
	// SharedTables(ctx) returns SharedTables. Nil: Shared(ctx) in a job
	// returns the tenant's database (framework.DatabaseFrom), and
	// SharedTables(ctx) nil.
	Main *framework.Database
	// SharedTables are the app's shared tables, the same list as the
	// Middleware's Options.SharedTables; SharedTables(ctx) returns them
	// in a tenant's job. Needs Main.
	SharedTables []string
}

// Workers runs a jobs client for each active tenant's database, so that
// a job enqueued inside a tenant runs against that tenant's database: its
// worker's context carries the tenant (From) and the tenant's database
// (framework.DatabaseFrom), as a request of the tenant does, and, with
// WorkerOptions.Main, the main database for Shared. The main database's
// jobs (the apex's) are worked by the app's own client, apart.
//
// Each running tenant client is a whole jobs.Client (its queues'
// workers, heartbeat, maintenance, periodic jobs, and on PostgreSQL one
// LISTEN connection) over the tenant's pool; MaxTenants bounds how many
// run at once.
type Workers struct {
	opts   WorkerOptions
	shared *shared // put in every client's context; nil without Main

	mu      sync.Mutex
	running map[int64]*tenantWorker
	cursor  int // where the next turn starts, past MaxTenants
	refresh chan struct{}
}

type tenantWorker struct {
	tenant  *Tenant
	client  *jobs.Client
	release func()
}

// NewWorkers checks opts and returns the runner; Run runs it.
func NewWorkers(opts WorkerOptions) (*Workers, error) {
	switch {
	case opts.Tenants == nil:
		return nil, errors.New("tenancy: WorkerOptions.Tenants is required (the Registry's List)")
	case opts.Pools == nil:
		return nil, errors.New("tenancy: WorkerOptions.Pools is required")
	case opts.NewClient == nil:
		return nil, errors.New("tenancy: WorkerOptions.NewClient is required")
	case opts.Main != nil && opts.Main.DB == nil:
		return nil, errors.New("tenancy: WorkerOptions.Main has no pool (pass app.Database())")
	case opts.Main == nil && len(opts.SharedTables) > 0:
		return nil, errors.New("tenancy: WorkerOptions.SharedTables needs Main, the main database that holds them")
	}
	var sh *shared
	if opts.Main != nil {
		sh = &shared{db: opts.Main, tables: slices.Clone(opts.SharedTables)}
		for _, name := range sh.tables {
			if name == "" {
				return nil, errors.New("tenancy: WorkerOptions.SharedTables has an empty name")
			}
		}
	}
	if opts.MaxTenants <= 0 {
		opts.MaxTenants = 50
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 30 * time.Second
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Workers{opts: opts, shared: sh, running: map[int64]*tenantWorker{}, refresh: make(chan struct{}, 1)}, nil
}

// RunWorkers is NewWorkers(opts) then Run(ctx).
func RunWorkers(ctx context.Context, opts WorkerOptions) error {
	w, err := NewWorkers(opts)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// Run reads the tenant list and keeps a client running for each active
// tenant (up to MaxTenants at once), reading the list again every
// Refresh, until ctx ends; then it stops every client, each given Grace
// for its running jobs. A tenant whose database cannot be opened or
// whose client fails to start is logged and tried again at the next
// refresh; a failing tenant list is logged and the clients keep running.
func (w *Workers) Run(ctx context.Context) error {
	defer w.stopAll()
	t := time.NewTicker(w.opts.Refresh)
	defer t.Stop()
	for {
		w.sync(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-w.refresh:
		}
	}
}

// Refresh asks Run to read the tenant list now (after a tenant was
// created, suspended or deleted) rather than at the next tick.
func (w *Workers) Refresh() {
	select {
	case w.refresh <- struct{}{}:
	default:
	}
}

// Running returns the slugs of the tenants whose clients run now, sorted.
func (w *Workers) Running() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.running))
	for _, tw := range w.running {
		out = append(out, tw.tenant.Slug)
	}
	slices.Sort(out)
	return out
}

// sync starts and stops clients to match the active tenants.
func (w *Workers) sync(ctx context.Context) {
	all, err := w.opts.Tenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.opts.Logger.Error("tenancy: workers: list tenants", "error", err)
		}
		return
	}
	active := make([]*Tenant, 0, len(all))
	for _, t := range all {
		if t.Status == StatusActive {
			active = append(active, t)
		}
	}
	slices.SortFunc(active, func(a, b *Tenant) int { return int(a.ID - b.ID) })
	want := map[int64]*Tenant{}
	if len(active) <= w.opts.MaxTenants {
		for _, t := range active {
			want[t.ID] = t
		}
	} else { // take turns: the next MaxTenants, from the cursor on
		start := w.cursor % len(active)
		for i := range w.opts.MaxTenants {
			t := active[(start+i)%len(active)]
			want[t.ID] = t
		}
		w.cursor = start + w.opts.MaxTenants
	}

	var stop []*tenantWorker
	w.mu.Lock()
	for id, tw := range w.running {
		if t, ok := want[id]; !ok || where(t) != where(tw.tenant) {
			stop = append(stop, tw)
			delete(w.running, id)
		}
	}
	w.mu.Unlock()
	w.stop(stop)

	for _, t := range active {
		if want[t.ID] == nil || ctx.Err() != nil {
			continue
		}
		w.mu.Lock()
		_, ok := w.running[t.ID]
		w.mu.Unlock()
		if ok {
			continue
		}
		tw, err := w.start(ctx, t)
		if err != nil {
			w.opts.Logger.Error("tenancy: workers: start a tenant's jobs client; retried at the next refresh", "tenant", t.Slug, "error", err)
			continue
		}
		w.mu.Lock()
		w.running[t.ID] = tw
		w.mu.Unlock()
	}
}

// start acquires t's pool and starts its client on a context carrying
// the tenant and its database, and the main side (Shared) with Main.
func (w *Workers) start(ctx context.Context, t *Tenant) (*tenantWorker, error) {
	db, release, err := w.opts.Pools.Acquire(ctx, t)
	if err != nil {
		return nil, err
	}
	c, err := w.opts.NewClient(t, db)
	if err == nil && c == nil {
		err = errors.New("NewClient returned no client")
	}
	if err != nil {
		release()
		return nil, fmt.Errorf("tenant %q: jobs client: %w", t.Slug, err)
	}
	jctx := context.WithoutCancel(ctx)
	if w.shared != nil {
		jctx = context.WithValue(jctx, sharedKey{}, w.shared)
	}
	jctx = WithTenant(framework.WithDatabase(jctx, db), t)
	if err := c.Start(jctx); err != nil {
		release()
		return nil, fmt.Errorf("tenant %q: start its jobs client: %w", t.Slug, err)
	}
	return &tenantWorker{tenant: t, client: c, release: release}, nil
}

// stop stops clients at once, each given Grace, and releases their pools.
func (w *Workers) stop(tws []*tenantWorker) {
	var wg sync.WaitGroup
	for _, tw := range tws {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), w.opts.Grace)
			defer cancel()
			if err := tw.client.Stop(ctx); err != nil {
				w.opts.Logger.Warn("tenancy: workers: a tenant's running jobs were handed back at stop", "tenant", tw.tenant.Slug, "error", err)
			}
			tw.release()
		})
	}
	wg.Wait()
}

func (w *Workers) stopAll() {
	w.mu.Lock()
	tws := make([]*tenantWorker, 0, len(w.running))
	for id, tw := range w.running {
		tws = append(tws, tw)
		delete(w.running, id)
	}
	w.mu.Unlock()
	w.stop(tws)
}
