package tenancy

import (
	"context"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
)

// TestNewWorkersRefusesBadOptions: each missing or contradictory option
// gets an error naming it; Main with SharedTables is accepted, and the
// list is copied. tests/tenancy_jobs_test.go runs the workers, with Main,
// on the three databases.
func TestNewWorkersRefusesBadOptions(t *testing.T) {
	_, open, _ := sqliteTenants(t, 1)
	pools := newTestPools(t, PoolOptions{Open: open})
	main, err := framework.OpenDatabase(context.Background(), "sqlite:"+t.TempDir()+"/main.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { main.DB.Close() })
	list := func(context.Context) ([]*Tenant, error) { return nil, nil }
	newClient := func(*Tenant, *framework.Database) (*jobs.Client, error) { return nil, nil }
	good := func(mod func(*WorkerOptions)) WorkerOptions {
		o := WorkerOptions{Tenants: list, Pools: pools, NewClient: newClient}
		mod(&o)
		return o
	}
	for _, tt := range []struct {
		name string
		opts WorkerOptions
		want string // "" for accepted
	}{
		{"no tenants", good(func(o *WorkerOptions) { o.Tenants = nil }), "WorkerOptions.Tenants is required"},
		{"no pools", good(func(o *WorkerOptions) { o.Pools = nil }), "WorkerOptions.Pools is required"},
		{"no client", good(func(o *WorkerOptions) { o.NewClient = nil }), "WorkerOptions.NewClient is required"},
		{"shared tables without main", good(func(o *WorkerOptions) { o.SharedTables = []string{"tags"} }), "SharedTables needs Main"},
		{"main without a pool", good(func(o *WorkerOptions) { o.Main = &framework.Database{} }), "Main has no pool"},
		{"an empty shared table", good(func(o *WorkerOptions) { o.Main, o.SharedTables = main, []string{"tags", ""} }), "SharedTables has an empty name"},
		{"main alone", good(func(o *WorkerOptions) { o.Main = main }), ""},
		{"main and shared tables", good(func(o *WorkerOptions) { o.Main, o.SharedTables = main, []string{"tags", "plans"} }), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWorkers(tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "":
				if w.shared == nil || w.shared.db != main || strings.Join(w.shared.tables, ",") != strings.Join(tt.opts.SharedTables, ",") {
					t.Fatalf("the jobs' shared side is %+v, want main and %v", w.shared, tt.opts.SharedTables)
				}
				if len(tt.opts.SharedTables) > 0 {
					tt.opts.SharedTables[0] = "changed"
					if w.shared.tables[0] == "changed" {
						t.Error("the workers kept the caller's slice, not a copy")
					}
				}
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
