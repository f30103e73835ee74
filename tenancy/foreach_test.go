package tenancy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestDeleteExpiredSessionsPerTenant: on each dialect, three tenants'
// databases hold an expired and a live session; with one tenant
// suspended, DeleteExpiredSessions (a store over the main database, which
// has no sessions table: touching it would fail) deletes the expired
// session of each active tenant only. ForEachTenant gives fn the tenant
// and its database in the context, and one tenant's error does not stop
// the others.
func TestDeleteExpiredSessionsPerTenant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, tdb *dbtest.DB) {
		ctx := context.Background()
		reg, _ := newRegistry(t, tdb, nil)
		pools, err := tenancy.NewPools(tenancy.PoolOptions{Open: reg.Open})
		if err != nil {
			t.Fatal(err)
		}
		defer pools.Close()
		store := session.NewStore(tdb.Database())
		slugs := []string{"acme", "globex", "sleepy"}
		dbs := map[string]*framework.Database{}
		for _, slug := range slugs {
			tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug})
			if err != nil {
				t.Fatal(err)
			}
			db, release, err := pools.Acquire(ctx, tn)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			dbs[slug] = db
			tctx := framework.WithDatabase(ctx, db)
			if err := store.CommitCtx(tctx, "old-"+slug, []byte("x"), time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := store.CommitCtx(tctx, "live-"+slug, []byte("x"), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := reg.SetStatus(ctx, "sleepy", tenancy.StatusSuspended); err != nil {
			t.Fatal(err)
		}

		n, err := tenancy.DeleteExpiredSessions(ctx, reg, pools, store)
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 2 (acme's and globex's)", n, err)
		}
		for _, slug := range slugs {
			rows, err := dbs[slug].DB.QueryContext(ctx, "SELECT token FROM quarry_sessions ORDER BY token")
			if err != nil {
				t.Fatal(err)
			}
			var tokens []string
			for rows.Next() {
				var tok string
				if err := rows.Scan(&tok); err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, tok)
			}
			rows.Close()
			want := []string{"live-" + slug}
			if slug == "sleepy" {
				want = []string{"live-sleepy", "old-sleepy"}
			}
			if !slices.Equal(tokens, want) {
				t.Errorf("%s's sessions after DeleteExpiredSessions: %v, want %v", slug, tokens, want)
			}
		}

		var visited []string
		err = tenancy.ForEachTenant(ctx, reg, pools, func(ctx context.Context, tn *tenancy.Tenant, db *framework.Database) error {
			visited = append(visited, tn.Slug)
			if tenancy.From(ctx) != tn || framework.DatabaseFrom(ctx) != db || db != dbs[tn.Slug] {
				t.Errorf("%s: the context carries %v and another database", tn.Slug, tenancy.From(ctx))
			}
			if tn.Slug == "acme" {
				return errors.New("boom")
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "tenant acme: boom") {
			t.Errorf("ForEachTenant's error: %v", err)
		}
		if !slices.Equal(visited, []string{"acme", "globex"}) {
			t.Errorf("ForEachTenant visited %v, want the active tenants acme and globex", visited)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := tenancy.ForEachTenant(cancelled, reg, pools, func(context.Context, *tenancy.Tenant, *framework.Database) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("ForEachTenant on an ended context: %v", err)
		}
	})
}
