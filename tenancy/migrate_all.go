package tenancy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
)

// ErrAhead is wrapped by the error reported for a tenant whose database
// records a migration newer than the newest this binary holds (an older
// binary deployed over newer tenants): MigrateTenants reports it and
// leaves the tenant as it is.
var ErrAhead = errors.New("the database is ahead of this binary's migrations")

// MigrateOutcome is what MigrateTenants did with one tenant.
type MigrateOutcome string

// The outcomes of a tenant's migration.
const (
	// MigrateApplied: pending migrations were applied.
	MigrateApplied MigrateOutcome = "migrated"
	// MigrateUpToDate: nothing was pending.
	MigrateUpToDate MigrateOutcome = "up to date"
	// MigrateAhead: the database records migrations newer than the
	// binary's; nothing was done (the error wraps ErrAhead).
	MigrateAhead MigrateOutcome = "ahead"
	// MigrateFailed: the error says why; migrations applied before the
	// failure are in Applied.
	MigrateFailed MigrateOutcome = "failed"
)

// TenantMigration reports one tenant's migration to
// MigrateAllOptions.Report.
type TenantMigration struct {
	Tenant  *Tenant
	Outcome MigrateOutcome
	// Applied lists the migrations applied (MigrateApplied, or those
	// applied before a failure).
	Applied []migrate.Result
	// Err is nil for MigrateApplied and MigrateUpToDate, wraps ErrAhead
	// for MigrateAhead.
	Err error
	// Duration is the time spent on the tenant.
	Duration time.Duration
}

// MigrateAllOptions configures [Registry.MigrateTenants].
type MigrateAllOptions struct {
	// Concurrency bounds the tenants migrated at once (default 4).
	Concurrency int
	// Pools, when given, lends the pools it has open already (a server
	// migrating its tenants); other tenants get a short-lived pool of
	// their own, and none is added to Pools or moved in its LRU order.
	Pools *Pools
	// Report is called once per tenant as it finishes; calls never
	// overlap.
	Report func(TenantMigration)
	// Full skips the version check and runs goose's full Up on every
	// tenant, as MigrateTenant does (the slow path, kept for comparison).
	Full bool
}

// MigrateSummary counts the outcomes of [Registry.MigrateTenants].
type MigrateSummary struct {
	Tenants, Migrated, UpToDate, Ahead, Failed int
	Duration                                   time.Duration
}

// Err is nil when no tenant failed or was ahead, else an error counting
// them.
func (s MigrateSummary) Err() error {
	if s.Failed == 0 && s.Ahead == 0 {
		return nil
	}
	var parts []string
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed to migrate", s.Failed))
	}
	if s.Ahead > 0 {
		parts = append(parts, fmt.Sprintf("%d ahead of this binary's migrations", s.Ahead))
	}
	return fmt.Errorf("tenancy: of %d tenants, %s", s.Tenants, strings.Join(parts, " and "))
}

// MigrateAll migrates every active and suspended tenant, at most
// concurrency at a time (at least 1), calling report once per tenant with
// its slug and its error (nil when it is up to date, migrated or not;
// wrapping ErrAhead when its database is ahead of the binary); report
// calls never overlap. A failure does not stop the others. The error
// counts the failures (nil when there are none). It is MigrateTenants
// with a simpler report.
func (r *Registry) MigrateAll(ctx context.Context, concurrency int, report func(slug string, err error)) error {
	opts := MigrateAllOptions{Concurrency: max(concurrency, 1)}
	if report != nil {
		opts.Report = func(m TenantMigration) { report(m.Tenant.Slug, m.Err) }
	}
	_, err := r.MigrateTenants(ctx, opts)
	return err
}

// MigrateTenants migrates every active and suspended tenant, at most
// opts.Concurrency at a time, reporting each; a failure does not stop the
// others. The error is the summary's (Err), or the registry's when the
// tenants cannot be listed.
//
// The fast path: for a tenant in its own database, one query reads the
// versions recorded in its framework and app version tables, and when
// every migration the binary holds is recorded there, the tenant is up to
// date — no goose provider is built, no lock taken. When the database
// records a version newer than the binary's newest, the tenant is
// reported ahead (ErrAhead) and left alone. Otherwise (something pending,
// a version table missing, anything unexpected) goose's full Up runs, as
// in MigrateTenant. A schema tenant is checked and migrated the same way
// on the pool Open gives it, pinned to its schema.
func (r *Registry) MigrateTenants(ctx context.Context, opts MigrateAllOptions) (MigrateSummary, error) {
	start := time.Now()
	tenants, err := r.List(ctx)
	if err != nil {
		return MigrateSummary{}, err
	}
	if opts.Concurrency < 1 {
		opts.Concurrency = 4
	}
	var (
		mu  sync.Mutex
		sum MigrateSummary
		wg  sync.WaitGroup
		sem = make(chan struct{}, opts.Concurrency)
		ex  = &expectations{r: r, sets: map[dialects.Name]*expected{}}
	)
	for _, t := range tenants {
		if t.Status == StatusProvisioning {
			continue
		}
		sum.Tenants++
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m := r.migrateOne(ctx, t, ex, opts)
			mu.Lock()
			defer mu.Unlock()
			switch m.Outcome {
			case MigrateApplied:
				sum.Migrated++
			case MigrateUpToDate:
				sum.UpToDate++
			case MigrateAhead:
				sum.Ahead++
			default:
				sum.Failed++
			}
			if opts.Report != nil {
				opts.Report(m)
			}
		})
	}
	wg.Wait()
	sum.Duration = time.Since(start)
	return sum, sum.Err()
}

// migrateOne migrates one tenant (see MigrateTenants).
func (r *Registry) migrateOne(ctx context.Context, t *Tenant, ex *expectations, opts MigrateAllOptions) (m TenantMigration) {
	start := time.Now()
	m.Tenant = t
	applied := false // by MigrateTenant, which does not list what it applied
	defer func() {
		m.Duration = time.Since(start)
		switch {
		case errors.Is(m.Err, ErrAhead):
			m.Outcome = MigrateAhead
		case m.Err != nil:
			m.Outcome = MigrateFailed
		case len(m.Applied) > 0 || applied:
			m.Outcome = MigrateApplied
		default:
			m.Outcome = MigrateUpToDate
		}
	}()
	fail := func(err error) TenantMigration {
		m.Err = fmt.Errorf("tenancy: migrate %s: %w", t.Slug, err)
		return m
	}
	// A database of its own or a schema: the pool Open gives (pinned to
	// the schema) is checked and migrated, as MigrateTenant does. A mode
	// Open cannot serve goes through MigrateTenant.
	direct := t.Mode == ModeDatabase || t.Mode == ModeSchema
	other := func(known bool) TenantMigration {
		if m.Err = r.MigrateTenant(ctx, t); m.Err == nil {
			applied = known
		}
		return m
	}
	u, err := dialects.ParseURL(t.DatabaseURL)
	if err != nil {
		if !direct {
			return other(false)
		}
		return fail(err)
	}
	want, err := ex.of(u.Dialect)
	if err != nil {
		return fail(err)
	}
	var db *framework.Database
	if opts.Pools != nil {
		var release func()
		if db, release = opts.Pools.acquireOpen(t); db != nil {
			defer release()
		}
	}
	if db == nil {
		if db, err = r.Open(ctx, t); err != nil {
			if !direct {
				return other(false)
			}
			return fail(err)
		}
		defer db.DB.Close()
	}
	if !opts.Full {
		state, err := want.check(ctx, db)
		switch {
		case state == stateAhead:
			return fail(err)
		case err != nil:
			// A version table missing, say: goose's full path decides.
			if !direct {
				return other(false)
			}
		case state == stateUpToDate:
			return m
		case !direct:
			return other(true)
		}
	}
	if !direct {
		return other(false)
	}
	mg, err := migrate.New(db, migrate.Options{AppFS: want.appFS, Logger: r.log.With("tenant", t.Slug)})
	if err != nil {
		return fail(err)
	}
	m.Applied, err = mg.Up(ctx)
	if err != nil {
		return fail(err)
	}
	return m
}

// expectations holds, per dialect, the versions this binary's migrations
// bring, read once per MigrateTenants.
type expectations struct {
	r    *Registry
	mu   sync.Mutex
	sets map[dialects.Name]*expected
}

// expected is the framework's and the app's versions for one dialect.
type expected struct {
	appFS          fs.FS
	framework, app []int64 // sorted
	err            error
}

func (e *expectations) of(d dialects.Dialect) (*expected, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.sets[d.Name()]; ok {
		return x, x.err
	}
	x := &expected{}
	x.framework, x.err = versionsIn(d.Migrations())
	if x.err == nil && e.r.opts.AppMigrations != nil {
		if x.appFS, x.err = e.r.opts.AppMigrations(d.Name()); x.err != nil {
			x.err = fmt.Errorf("the app's migrations for %s: %w", d.Name(), x.err)
		} else if x.appFS != nil {
			x.app, x.err = versionsIn(x.appFS)
		}
	}
	e.sets[d.Name()] = x
	return x, x.err
}

// versionsIn lists the versions of the migrations at fsys's root as goose
// finds them (NUMBER_name.sql or .go, test files aside), sorted.
func versionsIn(fsys fs.FS) ([]int64, error) {
	if fsys == nil {
		return nil, nil
	}
	var out []int64
	for _, pattern := range []string{"*.sql", "*.go"} {
		files, err := fs.Glob(fsys, pattern)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			base := path.Base(f)
			if strings.HasSuffix(base, "_test.go") {
				continue
			}
			if v, err := goose.NumericComponent(base); err == nil {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

type versionState int

const (
	statePending versionState = iota
	stateUpToDate
	stateAhead
)

// check reads the versions recorded in db's version tables with one query
// and compares them with the binary's. With stateAhead the error (wrapping
// ErrAhead) says which set and version; any other error means the
// versions could not be read.
func (x *expected) check(ctx context.Context, db *framework.Database) (versionState, error) {
	q := "SELECT 0, version_id FROM " + migrate.FrameworkTable
	if len(x.app) > 0 {
		q += " UNION ALL SELECT 1, version_id FROM " + migrate.AppTable
	}
	rows, err := db.DB.QueryContext(ctx, q)
	if err != nil {
		return statePending, err
	}
	defer rows.Close()
	recorded := [2]map[int64]bool{{}, {}}
	for rows.Next() {
		var set int
		var v int64
		if err := rows.Scan(&set, &v); err != nil {
			return statePending, err
		}
		if v > 0 && set >= 0 && set < 2 {
			recorded[set][v] = true
		}
	}
	if err := rows.Err(); err != nil {
		return statePending, err
	}
	state := stateUpToDate
	for i, want := range [][]int64{x.framework, x.app} {
		newest := int64(0)
		if len(want) > 0 {
			newest = want[len(want)-1]
		}
		set := []migrate.Set{migrate.Framework, migrate.App}[i]
		if i == 1 && len(want) == 0 {
			continue // the app has no migrations: its table is not read
		}
		for v := range recorded[i] {
			if v > newest {
				return stateAhead, fmt.Errorf("%w: %s migrations: version %d recorded, the binary's newest is %d",
					ErrAhead, set, v, newest)
			}
		}
		for _, v := range want {
			if !recorded[i][v] {
				state = statePending
			}
		}
	}
	return state, nil
}

// acquireOpen lends t's pool when it is open already (and still t's),
// without opening one or moving it in the LRU order; db is nil otherwise.
func (p *Pools) acquireOpen(t *Tenant) (db *framework.Database, release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byID[t.ID]
	if p.closed || e == nil || e.gone || e.where != where(t) {
		return nil, nil
	}
	select {
	case <-e.ready:
	default:
		return nil, nil // still opening
	}
	if e.err != nil || e.db == nil {
		return nil, nil
	}
	e.refs++
	return e.db, p.releaser(e)
}
