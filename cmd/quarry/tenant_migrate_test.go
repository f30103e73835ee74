package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tenancy"
)

// TestMigrateProgress checks what migrate --all prints per tenant: a line
// each on a non-terminal, and on a terminal a redrawn bar with a line only
// for the tenants that need a look (migrated, ahead, failed).
func TestMigrateProgress(t *testing.T) {
	reports := []tenancy.TenantMigration{
		{Tenant: &tenancy.Tenant{Slug: "a"}, Outcome: tenancy.MigrateUpToDate},
		{Tenant: &tenancy.Tenant{Slug: "b"}, Outcome: tenancy.MigrateApplied, Applied: []migrate.Result{{Set: migrate.App, Name: "00002_b.sql"}}},
		{Tenant: &tenancy.Tenant{Slug: "c"}, Outcome: tenancy.MigrateAhead, Err: fmt.Errorf("%w: app migrations: version 9", tenancy.ErrAhead)},
		{Tenant: &tenancy.Tenant{Slug: "d"}, Outcome: tenancy.MigrateFailed, Err: errors.New("boom")},
	}
	for _, bar := range []bool{false, true} {
		var out bytes.Buffer
		p := &migrateProgress{out: &out, total: len(reports), bar: bar}
		for _, r := range reports {
			p.report(r)
		}
		p.finish()
		s := out.String()
		for _, want := range []string{"b: migrated (app 00002_b.sql)", "c: AHEAD, left as it is:", "d: FAILED: boom"} {
			if !strings.Contains(s, want) {
				t.Errorf("bar %v: no %q in %q", bar, want, s)
			}
		}
		if got := strings.Contains(s, "a: up to date"); got == bar {
			t.Errorf("bar %v: up-to-date line printed: %v in %q", bar, got, s)
		}
		if got := strings.Contains(s, "[##############################] 4/4  migrated 1  up to date 1  ahead 1  failed 1\n"); got != bar {
			t.Errorf("bar %v: final bar %v in %q", bar, got, s)
		}
	}
}

// TestTenantMigrateAllSummary runs quarry tenant migrate --all on a SQLite
// registry of two tenants and checks the per-tenant lines and the summary
// (TestTenantCLI covers the three dialects).
func TestTenantMigrateAllSummary(t *testing.T) {
	t.Parallel()
	common := []string{"--database-url", "sqlite:" + t.TempDir() + "/reg.db", "--sqlite-dir", t.TempDir(),
		"--dir", "../../examples/blog/migrations"}
	for _, slug := range []string{"acme", "globex"} {
		if r := quarryIn(t, "", append([]string{"tenant", "create", slug}, common...)...); r.code != 0 {
			t.Fatalf("create: %+v", r)
		}
	}
	r := quarryIn(t, "", append([]string{"tenant", "migrate", "--all"}, common...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "acme: up to date (") || !strings.Contains(r.stdout, "globex: up to date (") ||
		!strings.Contains(r.stdout, ": 0 migrated, 2 up to date, 0 ahead, 0 failed\n") {
		t.Errorf("migrate --all: %+v", r)
	}
}
