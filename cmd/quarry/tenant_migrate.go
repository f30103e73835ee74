package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/quarry-go/quarry/tenancy"
)

// migrateAllTenants runs quarry tenant migrate --all: a line per tenant
// (or, on a terminal, a progress bar with a line per tenant that needs
// attention), then a summary.
func migrateAllTenants(cmd *cobra.Command, reg *tenancy.Registry, concurrency int) error {
	out := cmd.OutOrStdout()
	total := 0
	if ts, err := reg.List(cmd.Context()); err == nil {
		for _, t := range ts {
			if t.Status != tenancy.StatusProvisioning {
				total++
			}
		}
	}
	p := &migrateProgress{out: out, total: total, bar: isTerminal(out)}
	sum, err := reg.MigrateTenants(cmd.Context(), tenancy.MigrateAllOptions{Concurrency: concurrency, Report: p.report})
	p.finish()
	fmt.Fprintf(out, "%d tenants in %s: %d migrated, %d up to date, %d ahead, %d failed\n",
		sum.Tenants, sum.Duration.Round(time.Millisecond), sum.Migrated, sum.UpToDate, sum.Ahead, sum.Failed)
	return err
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// migrateProgress prints tenancy.TenantMigration reports; calls never
// overlap (MigrateTenants serialises them).
type migrateProgress struct {
	out                io.Writer
	total, done        int
	bar                bool
	migrated, upToDate int
	ahead, failed      int
	drawn              bool
}

func (p *migrateProgress) report(m tenancy.TenantMigration) {
	p.done++
	switch m.Outcome {
	case tenancy.MigrateApplied:
		p.migrated++
	case tenancy.MigrateUpToDate:
		p.upToDate++
	case tenancy.MigrateAhead:
		p.ahead++
	default:
		p.failed++
	}
	line := migrationLine(m)
	if !p.bar {
		fmt.Fprintln(p.out, line)
		return
	}
	p.clear()
	if m.Outcome != tenancy.MigrateUpToDate { // the bar counts the quiet ones
		fmt.Fprintln(p.out, line)
	}
	p.draw()
}

// migrationLine is the line printed for one tenant.
func migrationLine(m tenancy.TenantMigration) string {
	d := m.Duration.Round(time.Millisecond)
	switch m.Outcome {
	case tenancy.MigrateApplied:
		names := make([]string, len(m.Applied))
		for i, r := range m.Applied {
			names[i] = string(r.Set) + " " + r.Name
		}
		return fmt.Sprintf("%s: migrated (%s) in %s", m.Tenant.Slug, strings.Join(names, ", "), d)
	case tenancy.MigrateUpToDate:
		return fmt.Sprintf("%s: up to date (%s)", m.Tenant.Slug, d)
	case tenancy.MigrateAhead:
		return fmt.Sprintf("%s: AHEAD, left as it is: %v", m.Tenant.Slug, m.Err)
	}
	return fmt.Sprintf("%s: FAILED: %v", m.Tenant.Slug, m.Err)
}

func (p *migrateProgress) clear() {
	if p.drawn {
		fmt.Fprint(p.out, "\r\033[K")
		p.drawn = false
	}
}

func (p *migrateProgress) draw() {
	const width = 30
	total := max(p.total, p.done)
	filled := width
	if total > 0 {
		filled = width * p.done / total
	}
	fmt.Fprintf(p.out, "[%s%s] %d/%d  migrated %d  up to date %d  ahead %d  failed %d",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, total, p.migrated, p.upToDate, p.ahead, p.failed)
	p.drawn = true
}

func (p *migrateProgress) finish() {
	if p.bar && p.drawn {
		fmt.Fprintln(p.out)
		p.drawn = false
	}
}
