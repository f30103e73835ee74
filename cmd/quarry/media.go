package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/tenancy"
)

// mediaFlags are the flags of quarry media's verbs.
type mediaFlags struct {
	registry         tenantFlags // --database-url and --rls-role
	tenants, delete  bool
	disk             string
	pending, deleted time.Duration
	out              io.Writer
	svc              *media.Service
}

func newMediaCmd() *cobra.Command {
	f := &mediaFlags{}
	cmd := &cobra.Command{
		Use:   "media",
		Short: "Purge stale media and find orphan objects (framework/media)",
		Long: `media maintains the media of DATABASE_URL's database (or --database-url) and
the disks QUARRY_STORAGE_<NAME>_URL names (default disk: file:./var/media; see
docs/storage.md). With --tenants (multi-tenancy; the tenant registry is in that
database) it does the same in every active tenant's database, whose objects are
under tenants/<slug>/ on the shared disks.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.registry.databaseURL, "database-url", "", "database URL, with --tenants the tenant registry's (default: $DATABASE_URL)")
	pf.BoolVar(&f.tenants, "tenants", false, "also every active tenant's media")
	pf.StringVar(&f.registry.rlsRole, "rls-role", tenancy.DefaultRLSRole, "with --tenants, the role rls tenants' connections become (as for quarry tenant)")
	pf.DurationVar(&f.pending, "pending-retention", 24*time.Hour, "how long an upload may stay pending (purge); objects younger than this are never orphans (orphans)")

	purge := &cobra.Command{
		Use:   "purge",
		Short: "Remove uploads never finalized and media deleted longer ago than the retention, with their objects",
		Long: `purge removes, objects first and then rows, the uploads pending for longer than
--pending-retention (begun, never finalized) and the media deleted longer ago than
--deleted-retention, and prints how many of each. The app's periodic job
(Service.RegisterPurge) does the same every hour; run this from cron when the
app runs no jobs. Media that cannot be removed (their object cannot be deleted,
or an app row still references them) are counted as failed and tried again next
time; the exit status is then 1.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, label string, db *framework.Database) error {
				res, err := f.svc.Purge(ctx, db)
				if err != nil {
					return err
				}
				fmt.Fprintf(f.out, "%-20s purged %d pending upload(s) and %d deleted media; %d failed\n", label, res.Pending, res.Deleted, res.Failed)
				if res.Failed > 0 {
					return fmt.Errorf("%d media could not be removed (the log of the app's purge job, or a rerun with the disk reachable, says why)", res.Failed)
				}
				return nil
			})
		},
	}
	purge.Flags().DurationVar(&f.deleted, "deleted-retention", 30*24*time.Hour, "how long a deleted media keeps its object")

	orphans := &cobra.Command{
		Use:   "orphans",
		Short: "List (--delete: remove) the objects under media/ on a disk that no media row names",
		Long: `orphans lists the objects under media/ (a tenant's: tenants/<slug>/media/) on
--disk that no media row of the database names, one key per line with its size,
then a count. They are left when a row went and some of its objects could not
be deleted, or put there by hand. Objects younger than --pending-retention are
never listed: they may belong to an upload in flight. With --delete it removes
them, checking each again just before.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, label string, db *framework.Database) error {
				found, err := f.svc.Orphans(ctx, db, f.disk)
				if err != nil {
					return err
				}
				var size int64
				for _, o := range found {
					fmt.Fprintf(f.out, "%s\t%d\n", o.Key, o.Size)
					size += o.Size
				}
				if !f.delete {
					fmt.Fprintf(f.out, "%-20s %d orphan object(s), %d bytes (--delete removes them)\n", label, len(found), size)
					return nil
				}
				n, err := f.svc.DeleteOrphans(ctx, db, f.disk, found)
				fmt.Fprintf(f.out, "%-20s deleted %d of %d orphan object(s)\n", label, n, len(found))
				return err
			})
		},
	}
	orphans.Flags().StringVar(&f.disk, "disk", storage.DefaultDisk, "the disk to scan")
	orphans.Flags().BoolVar(&f.delete, "delete", false, "delete the orphans found")

	cmd.AddCommand(purge, orphans)
	return cmd
}

// run opens the database and the disks, runs fn on the main database and,
// with --tenants, on each active tenant's (in the tenant's context, so
// keys are under its prefix). A tenant that fails is reported and the
// others still run; the exit status is then 1.
func (f *mediaFlags) run(cmd *cobra.Command, fn func(ctx context.Context, label string, db *framework.Database) error) error {
	if f.pending < 0 || f.deleted < 0 {
		return usageError{fmt.Errorf("the retentions may not be negative")}
	}
	ctx := cmd.Context()
	f.out = cmd.OutOrStdout()
	db, err := openDatabaseFlag(cmd, f.registry.databaseURL)
	if err != nil {
		return err
	}
	defer db.DB.Close()
	disks, err := storage.DisksFromEnv(os.Environ(), nil)
	if err != nil {
		return usageError{err}
	}
	defer disks.Close()
	// 0 means now (1ns), not the Options' default; the command presigns
	// nothing, so the upload TTL only has to be shorter than the pending
	// retention.
	opts := media.Options{Disk: f.disk, PendingRetention: max(f.pending, time.Nanosecond),
		DeletedRetention: max(f.deleted, time.Nanosecond), Logger: workerLogger(cmd.ErrOrStderr())}
	opts.UploadTTL = max(opts.PendingRetention/2, time.Nanosecond)
	if opts.PendingRetention == time.Nanosecond {
		opts.PendingRetention = 2 * time.Nanosecond
	}
	if f.svc, err = media.New(disks, opts); err != nil {
		return usageError{err}
	}
	if err := fn(ctx, "(main)", db); err != nil {
		return fmt.Errorf("the main database: %w", err)
	}
	if !f.tenants {
		return nil
	}
	reg, err := f.registry.registry(cmd, db)
	if err != nil {
		return err
	}
	ts, err := reg.List(ctx)
	if err != nil {
		return err
	}
	var failed []string
	for _, t := range ts {
		if t.Status != tenancy.StatusActive || !hasOwnJobs(t) {
			continue
		}
		if err := f.inTenant(ctx, reg, t, fn); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(f.out, "%-20s FAILED: %s\n", t.Slug, strings.Join(strings.Fields(err.Error()), " "))
			failed = append(failed, t.Slug)
		}
	}
	if len(failed) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d tenants failed: %s", len(failed), len(ts), strings.Join(failed, ", "))}
	}
	return nil
}

// inTenant runs fn on t's database, in t's context.
func (f *mediaFlags) inTenant(ctx context.Context, reg *tenancy.Registry, t *tenancy.Tenant, fn func(ctx context.Context, label string, db *framework.Database) error) error {
	db, err := reg.Open(ctx, t)
	if err != nil {
		return err
	}
	defer db.DB.Close()
	return fn(tenancy.WithTenant(framework.WithDatabase(ctx, db), t), t.Slug, db)
}
