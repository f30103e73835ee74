package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tenancy"
)

// tenantTimeout bounds the work on one tenant's database that the worker
// waits for: opening it and reading its counts (--status --tenants), or
// checking its tables before its maintenance starts.
const tenantTimeout = 30 * time.Second

// workerFlags are quarry worker's flags.
type workerFlags struct {
	// registry has --database-url (the registry is in that database) and
	// --rls-role (what rls tenants' connections become); its other options
	// keep their defaults: the worker creates, migrates and deletes no
	// tenant, and opens each at the URL the registry holds.
	registry        tenantFlags
	status, tenants bool
	grace, refresh  time.Duration
	maxTenants      int
}

func newWorkerCmd() *cobra.Command {
	f := &workerFlags{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the job queue's maintenance, or print its status (--status); --tenants: every tenant's too",
		Long: `worker runs the background-job maintenance against DATABASE_URL (or
--database-url) until SIGINT/SIGTERM: it makes scheduled and retryable jobs
available when due, rescues the jobs of workers that died (expired leases)
and deletes finished jobs past retention. Any number may run; each step is
idempotent.

Job kinds are Go code, so the workers that run them live in the app's own
binary: build a jobs.Client with your Registry and call Run (the demo does
this in examples/blog/site/jobs.go).

With --status it prints the number of jobs by queue and state, and the
paused queues, then exits.

With --tenants (multi-tenancy; the tenant registry is in DATABASE_URL's
database, as for quarry tenant) it also maintains the jobs of every active
tenant, each in its own database: a maintenance-only client per tenant
(tenancy.Workers), at most --max-tenants at once (with more, they take turns
every --refresh), the tenant list read again every --refresh, so new tenants
are picked up. An rls tenant's jobs are in its schema, reached as --rls-role.
Suspended tenants, tenants being created and rls tenants made before they had
a schema (no jobs of their own) are not maintained; a tenant whose database
cannot be opened is logged and tried again at the next refresh.

With --status --tenants it prints the counts of the main database, as
"(main)", then of each tenant (suspended ones included), opening and closing
each tenant's database in turn. A tenant whose database cannot be read gets
a FAILED line, the others are still listed, and the exit status is 1.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := openDatabaseFlag(cmd, f.registry.databaseURL)
			if err != nil {
				return err
			}
			defer db.DB.Close()
			if err := hasJobsTable(ctx, db, "quarry migrate up"); err != nil {
				return err
			}
			log := workerLogger(cmd.ErrOrStderr())
			switch {
			case f.status && f.tenants:
				reg, err := f.registry.registry(cmd, db)
				if err != nil {
					return err
				}
				return tenantsStatus(ctx, cmd.OutOrStdout(), reg, db)
			case f.status:
				return printJobStatus(ctx, cmd.OutOrStdout(), db)
			case f.tenants:
				reg, err := f.registry.registry(cmd, db)
				if err != nil {
					return err
				}
				return f.runTenants(ctx, reg, db, log)
			}
			c, err := jobs.New(jobs.NewSQL(db), jobs.Config{Logger: log})
			if err != nil {
				return err
			}
			log.Info("jobs maintenance running", "database", db.URL.String())
			return c.Run(ctx, f.grace)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.registry.databaseURL, "database-url", "", "database URL, with --tenants the tenant registry's (default: $DATABASE_URL)")
	fl.BoolVar(&f.status, "status", false, "print job counts by queue and state, and paused queues, then exit")
	fl.BoolVar(&f.tenants, "tenants", false, "also maintain (with --status: count) the jobs of every tenant in the registry")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "how long shutdown waits")
	fl.IntVar(&f.maxTenants, "max-tenants", 50, "with --tenants, tenants maintained at once (with more, they take turns every --refresh)")
	fl.DurationVar(&f.refresh, "refresh", 30*time.Second, "with --tenants, how often the tenant list is read again")
	fl.StringVar(&f.registry.rlsRole, "rls-role", tenancy.DefaultRLSRole, "with --tenants, the role rls tenants' connections become (as for quarry tenant)")
	return cmd
}

// check refuses flags that contradict each other or do nothing.
func (f *workerFlags) check(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	for _, name := range []string{"max-tenants", "refresh", "rls-role"} {
		if changed(name) && !f.tenants {
			return usageError{fmt.Errorf("--%s needs --tenants", name)}
		}
	}
	if f.status {
		for _, name := range []string{"grace", "max-tenants", "refresh"} {
			if changed(name) {
				return usageError{fmt.Errorf("--%s does nothing with --status, which prints the counts and exits", name)}
			}
		}
	}
	switch {
	case f.registry.rlsRole == "":
		return usageError{errors.New("--rls-role is empty")}
	case f.maxTenants < 1:
		return usageError{fmt.Errorf("--max-tenants %d: want at least 1", f.maxTenants)}
	case f.refresh <= 0:
		return usageError{fmt.Errorf("--refresh %s: want a positive duration", f.refresh)}
	case f.grace < 0:
		return usageError{fmt.Errorf("--grace %s: want zero or more", f.grace)}
	}
	return nil
}

// workerLogger logs to w as the App does: text in dev (QUARRY_ENV unset
// or dev), JSON elsewhere.
func workerLogger(w io.Writer) *slog.Logger {
	switch framework.Env(strings.ToLower(strings.TrimSpace(os.Getenv("QUARRY_ENV")))) {
	case "", framework.EnvDev:
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// hasJobsTable reports a database without quarry_jobs, naming the command
// that creates it.
func hasJobsTable(ctx context.Context, db *framework.Database, fix string) error {
	tables, err := db.Dialect.TableNames(ctx, db.DB)
	if err != nil {
		return err
	}
	if !slices.Contains(tables, "quarry_jobs") {
		return fmt.Errorf("%s has no quarry_jobs table: run '%s' first", db.URL, fix)
	}
	return nil
}

// jobStatus reads db's job counts by queue and state, and its paused
// queues.
func jobStatus(ctx context.Context, db *framework.Database) ([]jobs.Count, []jobs.QueueInfo, error) {
	c, err := jobs.New(jobs.NewSQL(db), jobs.Config{})
	if err != nil {
		return nil, nil, err
	}
	counts, err := c.Counts(ctx)
	if err != nil {
		return nil, nil, err
	}
	queues, err := c.Backend().Queues(ctx)
	if err != nil {
		return nil, nil, err
	}
	paused := slices.DeleteFunc(queues, func(q jobs.QueueInfo) bool { return !q.Paused })
	return counts, paused, nil
}

// printJobStatus prints db's counts and paused queues (quarry worker --status).
func printJobStatus(ctx context.Context, out io.Writer, db *framework.Database) error {
	counts, paused, err := jobStatus(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-20s %-10s %10s\n", "QUEUE", "STATE", "JOBS")
	for _, n := range counts {
		fmt.Fprintf(out, "%-20s %-10s %10d\n", n.Queue, n.State, n.Jobs)
	}
	for _, q := range paused {
		fmt.Fprintf(out, "paused: %s (since %s)\n", q.Name, q.UpdatedAt.Format(time.RFC3339))
	}
	return nil
}

// tenantsStatus prints the counts of the main database, then of each
// tenant (quarry worker --status --tenants), and the paused queues last.
// A tenant whose database cannot be read gets a FAILED line; the others
// are still listed, and the error names the failed ones.
func tenantsStatus(ctx context.Context, out io.Writer, reg *tenancy.Registry, main *framework.Database) error {
	ts, err := reg.List(ctx)
	if err != nil {
		return err
	}
	var paused []string
	row := func(label string, counts []jobs.Count, queues []jobs.QueueInfo) {
		if len(counts) == 0 {
			fmt.Fprintf(out, "%-20s (no jobs)\n", label)
		}
		for _, n := range counts {
			fmt.Fprintf(out, "%-20s %-20s %-10s %10d\n", label, n.Queue, n.State, n.Jobs)
		}
		for _, q := range queues {
			paused = append(paused, fmt.Sprintf("paused: %s in %s (since %s)", q.Name, label, q.UpdatedAt.Format(time.RFC3339)))
		}
	}
	counts, queues, err := jobStatus(ctx, main)
	if err != nil {
		return fmt.Errorf("the main database: %w", err)
	}
	fmt.Fprintf(out, "%-20s %-20s %-10s %10s\n", "TENANT", "QUEUE", "STATE", "JOBS")
	row("(main)", counts, queues)
	var failed []string
	for _, t := range ts {
		switch {
		case !hasOwnJobs(t):
			fmt.Fprintf(out, "%-20s (rls, made before its schema: no jobs of its own)\n", t.Slug)
			continue
		case t.Status == tenancy.StatusProvisioning:
			fmt.Fprintf(out, "%-20s (being created)\n", t.Slug)
			continue
		}
		counts, queues, err := tenantJobStatus(ctx, reg, t)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// On one line: some drivers' errors span several.
			fmt.Fprintf(out, "%-20s FAILED: %s\n", t.Slug, strings.Join(strings.Fields(err.Error()), " "))
			failed = append(failed, t.Slug)
			continue
		}
		row(t.Slug, counts, queues)
	}
	for _, p := range paused {
		fmt.Fprintln(out, p)
	}
	if len(failed) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("the jobs of %d of %d tenants could not be read: %s", len(failed), len(ts), strings.Join(failed, ", "))}
	}
	return nil
}

// hasOwnJobs reports whether t has a quarry_jobs table of its own: all
// tenants but rls ones made before rls tenants had a schema for the
// framework's tables (their quarry_jobs would be the main database's,
// which their role may not touch).
func hasOwnJobs(t *tenancy.Tenant) bool { return t.Mode != tenancy.ModeRLS || t.Schema != "" }

// tenantJobStatus opens t's database, reads its counts and paused queues,
// and closes it.
func tenantJobStatus(ctx context.Context, reg *tenancy.Registry, t *tenancy.Tenant) ([]jobs.Count, []jobs.QueueInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, tenantTimeout)
	defer cancel()
	db, err := reg.Open(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	defer db.DB.Close()
	if err := hasJobsTable(ctx, db, "quarry tenant migrate "+t.Slug); err != nil {
		return nil, nil, err
	}
	return jobStatus(ctx, db)
}

// runTenants runs the maintenance of the main database and, through
// tenancy.Workers, of every active tenant's, until ctx ends (quarry
// worker --tenants).
func (f *workerFlags) runTenants(ctx context.Context, reg *tenancy.Registry, main *framework.Database, log *slog.Logger) error {
	mainClient, err := jobs.New(jobs.NewSQL(main), jobs.Config{Logger: log})
	if err != nil {
		return err
	}
	pools, err := tenancy.NewPools(tenancy.PoolOptions{Open: reg.Open, MaxOpen: f.maxTenants, MaxConnsPerPool: 2, OpenTimeout: tenantTimeout, Logger: log})
	if err != nil {
		return err
	}
	defer pools.Close()
	w, err := tenancy.NewWorkers(tenancy.WorkerOptions{
		Tenants: func(ctx context.Context) ([]*tenancy.Tenant, error) {
			ts, err := reg.List(ctx)
			return slices.DeleteFunc(ts, func(t *tenancy.Tenant) bool { return !hasOwnJobs(t) }), err
		},
		Pools: pools,
		NewClient: func(t *tenancy.Tenant, db *framework.Database) (*jobs.Client, error) {
			// A tenant without the table would log a failed maintenance
			// every second; refused, it is logged once per refresh.
			cctx, cancel := context.WithTimeout(ctx, tenantTimeout)
			defer cancel()
			if err := hasJobsTable(cctx, db, "quarry tenant migrate "+t.Slug); err != nil {
				return nil, err
			}
			return jobs.New(jobs.NewSQL(db), jobs.Config{Logger: log.With("tenant", t.Slug)})
		},
		MaxTenants: f.maxTenants,
		Refresh:    f.refresh,
		Grace:      f.grace,
		Logger:     log,
	})
	if err != nil {
		return err
	}
	log.Info("jobs maintenance running for the main database and every active tenant",
		"database", main.URL.String(), "max_tenants", f.maxTenants, "refresh", f.refresh)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mainErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel() // the main client failed to start: stop the tenants' too
		if mainErr = mainClient.Run(ctx, f.grace); mainErr != nil {
			mainErr = fmt.Errorf("the main database's jobs: %w", mainErr)
		}
	})
	werr := w.Run(ctx)
	wg.Wait()
	return errors.Join(mainErr, werr)
}
