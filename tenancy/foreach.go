package tenancy

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/session"
)

// Lister lists the tenants: the Registry (its List), or a stand-in.
type Lister interface {
	List(ctx context.Context) ([]*Tenant, error)
}

// ForEachTenant calls fn for each active tenant reg lists, one after
// another, with the tenant's database from pools (held during the call)
// and a context carrying the tenant (From) and that database
// (framework.DatabaseFrom), as a request of the tenant or a job run by
// Workers has: so what uses the context's database — session.Store,
// jobs.SQLBackend, the app's typed queries over DatabaseFrom(ctx) — works
// on the tenant's. Suspended tenants, and tenants still being created,
// are skipped. One tenant's failure (its pool not opening, fn's error)
// does not stop the others: the result joins each, naming the tenant.
// When ctx ends it stops and returns, with them, ctx's error.
//
// It is for periodic housekeeping of every tenant at once from one
// place (DeleteExpiredSessions is built on it); Workers runs each
// tenant's jobs, periodic ones included, by turns.
func ForEachTenant(ctx context.Context, reg Lister, pools *Pools, fn func(ctx context.Context, t *Tenant, db *framework.Database) error) error {
	ts, err := reg.List(ctx)
	if err != nil {
		return fmt.Errorf("tenancy: list tenants: %w", err)
	}
	var errs []error
	for _, t := range ts {
		if t.Status != StatusActive {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := forTenant(ctx, pools, t, fn); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.Slug, err))
		}
	}
	return errors.Join(errs...)
}

func forTenant(ctx context.Context, pools *Pools, t *Tenant, fn func(context.Context, *Tenant, *framework.Database) error) error {
	db, release, err := pools.Acquire(ctx, t)
	if err != nil {
		return err
	}
	defer release()
	return fn(WithTenant(framework.WithDatabase(ctx, db), t), t, db)
}

// DeleteExpiredSessions deletes the expired sessions of every active
// tenant (ForEachTenant) with store (session.NewStore over the main
// database: its DeleteExpired works on the context's database) and
// returns how many it deleted in all (a ModeRLS tenant's are in its
// schema; one made before RLS tenants had one is skipped). The main database's sessions are not touched: store.StartCleanup, or
// store.DeleteExpired without a tenant, does those. Run it every few
// minutes:
//
//	go func() {
//		for range time.Tick(10 * time.Minute) {
//			if _, err := tenancy.DeleteExpiredSessions(ctx, reg, pools, store); err != nil {
//				logger.Warn("tenant session cleanup", "error", err)
//			}
//		}
//	}()
func DeleteExpiredSessions(ctx context.Context, reg Lister, pools *Pools, store *session.Store) (int64, error) {
	var total int64
	err := ForEachTenant(ctx, reg, pools, func(ctx context.Context, t *Tenant, _ *framework.Database) error {
		if t.Mode == ModeRLS && t.Schema == "" {
			return nil // an RLS tenant from before RLS tenants had framework tables
		}
		n, err := store.DeleteExpired(ctx)
		total += n
		return err
	})
	return total, err
}
