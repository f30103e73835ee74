// Package tenants is the blog demo's tenant mode (QUARRY_TENANCY=on): the
// tenant registry in the demo's main database, two tenants — acme and
// globex — created on the first run, each in a database of its own (a
// SQLite file under ./var/tenants, or a database on the PostgreSQL or
// MySQL server), migrated with the blog's migrations and seeded, served
// as acme.localhost:8000 and localhost:8000/t/globex/ (browsers resolve
// every *.localhost name to the loopback address, so no DNS or hosts
// file is needed), with a jobs client per tenant. Requests naming no
// tenant are the apex: the main database, as without the tenant mode.
package tenants

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tenancy"
)

// Demo is the demo's tenants, created on the first run.
var Demo = []struct{ Slug, Name string }{
	{"acme", "Acme Corp"},
	{"globex", "Globex Corporation"},
}

// Enabled reads QUARRY_TENANCY's value: "on" (or "1", "true") turns the
// tenant mode on; "", "off" (or "0", "false") leaves it off; anything
// else is an error.
func Enabled(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "1", "true":
		return true, nil
	case "", "off", "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("QUARRY_TENANCY=%q: want on or off", v)
}

// Options configures Setup. The zero value is the demo's.
type Options struct {
	// SQLiteDir holds the tenants' files when the main database is
	// SQLite. Default ./var/tenants.
	SQLiteDir string
	// DatabasePrefix starts the tenants' database names on a server.
	// Default tenancy.DefaultDatabasePrefix (quarry_t_).
	DatabasePrefix string
	// BaseDomain is the domain whose subdomains name tenants. Default
	// localhost.
	BaseDomain string
	// Out receives the credentials of the superusers made on the first
	// run. Default os.Stderr.
	Out io.Writer
}

// Mode is the running tenant mode.
type Mode struct {
	Registry *tenancy.Registry
	Pools    *tenancy.Pools
	// Workers runs each tenant's jobs; Start runs it.
	Workers *tenancy.Workers
	// Created lists the tenants this Setup created (none once they exist).
	Created []string

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Setup brings the tenant mode up on app, whose main database is
// migrated already: the registry's tables, the demo's tenants (created
// when missing; a creation cut off part-way is done again), each seeded
// and given a superuser "admin" on its first run (the password printed
// once to Out), and the tenancy middleware wrapped around app's router
// (subdomains of BaseDomain, custom domains, /t/<slug>/). Call it before
// mounting the routes; Close at shutdown.
func Setup(ctx context.Context, app *framework.App, opts Options) (*Mode, error) {
	if opts.SQLiteDir == "" {
		opts.SQLiteDir = tenancy.DefaultSQLiteDir
	}
	if opts.DatabasePrefix == "" {
		opts.DatabasePrefix = tenancy.DefaultDatabasePrefix
	}
	if opts.BaseDomain == "" {
		opts.BaseDomain = "localhost"
	}
	if opts.Out == nil {
		opts.Out = os.Stderr
	}
	reg := tenancy.NewRegistry(app.Database(), tenancy.RegistryOptions{SQLiteDir: opts.SQLiteDir,
		DatabasePrefix: opts.DatabasePrefix, AppMigrations: migrations.For, Logger: app.Logger()})
	if err := reg.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("tenant registry: %w", err)
	}
	m := &Mode{Registry: reg}
	for _, d := range Demo {
		t, err := reg.Show(ctx, d.Slug)
		if err == nil && t.Status == tenancy.StatusProvisioning { // a creation cut off: start again
			if err := reg.Delete(ctx, d.Slug, true); err != nil {
				return nil, err
			}
			err = tenancy.ErrNoTenant
		}
		if errors.Is(err, tenancy.ErrNoTenant) {
			if t, err = reg.Create(ctx, tenancy.CreateParams{Slug: d.Slug, Name: d.Name}); err != nil {
				return nil, err
			}
			m.Created = append(m.Created, d.Slug)
		} else if err != nil {
			return nil, err
		}
		if err := seed(ctx, reg, t, opts); err != nil {
			return nil, err
		}
	}
	pools, err := tenancy.NewPools(tenancy.PoolOptions{Open: reg.Open, MaxOpen: 20, Logger: app.Logger()})
	if err != nil {
		return nil, err
	}
	m.Pools = pools
	mw, err := tenancy.Middleware(tenancy.Options{
		Lookup:    tenancy.NewCache(reg, tenancy.CacheOptions{Generation: reg.Generation}),
		Pools:     pools,
		Resolvers: tenancy.DefaultResolvers(opts.BaseDomain),
		Logger:    app.Logger(),
	})
	if err != nil {
		pools.Close()
		return nil, err
	}
	app.WrapRouter(mw)
	svc, err := site.NewMedia(app)
	if err != nil {
		pools.Close()
		return nil, err
	}
	m.Workers, err = tenancy.NewWorkers(tenancy.WorkerOptions{Tenants: reg.List, Pools: pools, Logger: app.Logger(),
		NewClient: func(t *tenancy.Tenant, db *framework.Database) (*jobs.Client, error) {
			return site.NewJobsClient(db, app.Logger().With("tenant", t.Slug), svc)
		}})
	if err != nil {
		pools.Close()
		return nil, err
	}
	return m, nil
}

// seed fills a tenant's empty blog and makes its superuser, as the demo
// does for its main database; both do nothing once done.
func seed(ctx context.Context, reg *tenancy.Registry, t *tenancy.Tenant, opts Options) error {
	db, err := reg.Open(ctx, t)
	if err != nil {
		return err
	}
	defer db.DB.Close()
	if err := api.Seed(ctx, db); err != nil {
		return fmt.Errorf("seed tenant %s: %w", t.Slug, err)
	}
	if _, err := site.EnsureSuperuserIn(ctx, db, "tenant "+t.Slug, opts.Out); err != nil {
		return fmt.Errorf("tenant %s: %w", t.Slug, err)
	}
	return nil
}

// Start runs the tenants' jobs clients in the background until Close.
func (m *Mode) Start(ctx context.Context) {
	ctx, m.stop = context.WithCancel(ctx)
	m.wg.Go(func() { _ = m.Workers.Run(ctx) })
}

// Close stops the tenants' jobs clients and closes their pools.
func (m *Mode) Close() error {
	if m.stop != nil {
		m.stop()
		m.wg.Wait()
	}
	return m.Pools.Close()
}
