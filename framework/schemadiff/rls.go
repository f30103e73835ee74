package schemadiff

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"ariga.io/atlas/sql/schema"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/postgres"
)

// tenantScopedRe is the tenant-scoped hint: "-- quarry:tenant-scoped"
// above a CREATE TABLE (where "-- quarry:renamed-from" on a table goes),
// with an optional "role=NAME" (default postgres.DefaultRLSRole).
var tenantScopedRe = regexp.MustCompile(`--\s*quarry:tenant-scoped\b([^\n]*)`)

// readTenantScoped returns the tables of the DDL (as readDDL split it)
// with a tenant-scoped hint, each with the role its rows are granted to.
func readTenantScoped(ddl []located) (map[string]string, error) {
	out := map[string]string{}
	for _, st := range ddl {
		table, args, ok := tableHint(st, tenantScopedRe)
		if !ok {
			continue
		}
		role := postgres.DefaultRLSRole
		for _, arg := range strings.Fields(args) {
			v, ok := strings.CutPrefix(arg, "role=")
			if !ok {
				return nil, fmt.Errorf("%w: %s: table %s: the -- quarry:tenant-scoped hint takes only role=NAME, not %q", ErrHint, filepath.Base(st.file), table, arg)
			}
			if err := postgres.ValidateRLSRole(v); err != nil {
				return nil, fmt.Errorf("%w: %s: table %s: -- quarry:tenant-scoped: %w", ErrHint, filepath.Base(st.file), table, err)
			}
			role = v
		}
		out[table] = role
	}
	return out, nil
}

// tableHint returns, for a CREATE TABLE statement whose leading comments
// hold the hint re matches, the table and the hint's arguments (re's
// first group).
func tableHint(st located, re *regexp.Regexp) (table, args string, ok bool) {
	m := createTableRe.FindStringSubmatch(st.SQL)
	if m == nil {
		return "", "", false
	}
	head, _, _ := strings.Cut(st.SQL, "(")
	h := re.FindStringSubmatch(head)
	if h == nil {
		return "", "", false
	}
	return m[1], h[1], true
}

// checkTenantScoped refuses tenant-scoped hints a dialect cannot honour
// (no row-level security) and hinted tables of to without a tenant_id
// column.
func checkTenantScoped(d dialects.Dialect, scoped map[string]string, to *schema.Schema) error {
	if len(scoped) == 0 {
		return nil
	}
	tables := slices.Sorted(maps.Keys(scoped))
	if !d.Capabilities().RowSecurity {
		return fmt.Errorf("%w: on %s, -- quarry:tenant-scoped (tables %s) cannot be honoured: %s has no row-level security, "+
			"which the hint asks for (shared tables with RLS are PostgreSQL's); remove the hint from this dialect's DDL and keep the tenant's rows apart with a database per tenant",
			ErrUnsupported, d.Name(), strings.Join(tables, ", "), d.ProductName())
	}
	if to == nil {
		return nil
	}
	for _, t := range tables {
		tt, ok := to.Table(t)
		if !ok {
			continue
		}
		if _, ok := tt.Column("tenant_id"); !ok {
			return fmt.Errorf("%w: table %s has the -- quarry:tenant-scoped hint but no tenant_id column, which its tenant_isolation policy compares with quarry.tenant_id: "+
				"add tenant_id BIGINT NOT NULL DEFAULT current_setting('quarry.tenant_id', true)::bigint, or remove the hint", ErrHint, t)
		}
	}
	return nil
}

// rlsState returns the tables of s's current schema that have the
// tenant_isolation policy, each with the role granted SELECT on it
// (other than its owner; the default role first when several are).
func (s *scratch) rlsState(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.relname, COALESCE((SELECT r.rolname FROM aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
			WHERE a.privilege_type = 'SELECT' AND a.grantee <> c.relowner ORDER BY r.rolname <> $2, r.rolname LIMIT 1), '')
		FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
		WHERE p.polname = $1 AND c.relnamespace = current_schema()::regnamespace`, postgres.RLSPolicy, postgres.DefaultRLSRole)
	if err != nil {
		return nil, fmt.Errorf("read row-level security policies: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var t, role string
		if err := rows.Scan(&t, &role); err != nil {
			return nil, err
		}
		out[t] = role
	}
	return out, rows.Err()
}

// rlsChanges are the statements that carry row-level security from one
// state to the other: undos first (on the tables as they are before),
// statements last (on the tables as they are after).
type rlsChanges struct {
	up, down objectChanges // only rlsFirst and rlsLast are set
	summary  []string
	roles    []string // roles granted to
}

// diffRLS compares the tenant-scoped tables of the current state (from,
// read from its database) with the hinted tables of the DDL (to). renamed
// maps a table's new name to its old one (the rename hints); fromTables and
// toTables are the two states' schemas.
func diffRLS(from, to map[string]string, renamed map[string]string, fromSchema, toSchema *schema.Schema) (rlsChanges, error) {
	var c rlsChanges
	handled := map[string]bool{}
	for _, t := range slices.Sorted(maps.Keys(to)) {
		role := to[t]
		prev := t
		if old, ok := renamed[t]; ok {
			if _, had := from[old]; had {
				if _, exists := fromSchema.Table(t); !exists {
					prev = old // renamed in this migration: the policy moves along
				}
			}
		}
		oldRole, had := from[prev]
		handled[prev] = true
		apply, err := postgres.RLSStatements(t, role)
		if err != nil {
			return c, err
		}
		undo, err := postgres.RLSUndoStatements(t, role)
		if err != nil {
			return c, err
		}
		switch {
		case !had:
			c.up.rlsLast = append(c.up.rlsLast, apply...)
			c.down.rlsFirst = append(c.down.rlsFirst, undo...)
			c.summary = append(c.summary, fmt.Sprintf("row-level security on %s (tenant_isolation, granted to %s)", t, role))
			c.roles = append(c.roles, role)
		case oldRole != role:
			oldUndo, err := postgres.RLSUndoStatements(t, oldRole)
			if err != nil {
				return c, err
			}
			oldApply, err := postgres.RLSStatements(prev, oldRole)
			if err != nil {
				return c, err
			}
			// The grant is the last of RLSStatements, the revoke the first
			// of RLSUndoStatements.
			c.up.rlsLast = append(c.up.rlsLast, oldUndo[0], apply[len(apply)-1])
			c.down.rlsFirst = append(c.down.rlsFirst, undo[0])
			c.down.rlsLast = append(c.down.rlsLast, oldApply[len(oldApply)-1])
			c.summary = append(c.summary, fmt.Sprintf("row-level security on %s: grant to %s instead of %s", t, role, oldRole))
			c.roles = append(c.roles, role)
		}
	}
	for _, t := range slices.Sorted(maps.Keys(from)) {
		if handled[t] {
			continue
		}
		role := from[t]
		apply, err := postgres.RLSStatements(t, role)
		if err != nil {
			return c, err
		}
		if _, kept := toSchema.Table(t); kept {
			undo, err := postgres.RLSUndoStatements(t, role)
			if err != nil {
				return c, err
			}
			c.up.rlsFirst = append(c.up.rlsFirst, undo...)
			c.summary = append(c.summary, fmt.Sprintf("remove row-level security from %s (no -- quarry:tenant-scoped hint)", t))
		}
		// A dropped table takes its policy along; the down creates both.
		c.down.rlsLast = append(c.down.rlsLast, apply...)
	}
	return c, nil
}

// ensureRoles creates, on s's server, the roles the migration grants to
// that do not exist, as tenancy's Create would (NOLOGIN NOSUPERUSER
// NOBYPASSRLS NOINHERIT), so that the migration can be verified.
func (s *scratch) ensureRoles(ctx context.Context, roles []string) error {
	for _, role := range roles {
		exists := func() (bool, error) {
			var n int
			err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_roles WHERE rolname = $1`, role).Scan(&n)
			return n > 0, err
		}
		ok, err := exists()
		if err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		// The name is validated (letters, digits, underscores).
		if _, err := s.db.ExecContext(ctx, `CREATE ROLE "`+role+`" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT`); err != nil {
			if ok, _ := exists(); !ok { // not created meanwhile by another run
				return fmt.Errorf("%w: create role %s, which the migration grants to (create it beforehand): %w", ErrScratch, role, err)
			}
		}
	}
	return nil
}

// sameRLS fails with what differs between the tenant-scoped tables of s
// and want.
func (s *scratch) sameRLS(ctx context.Context, want map[string]string, what string) error {
	got, err := s.rlsState(ctx)
	if err != nil {
		return err
	}
	var problems []string
	for _, t := range slices.Sorted(maps.Keys(want)) {
		if r, ok := got[t]; !ok {
			problems = append(problems, "no row-level security on "+t)
		} else if r != want[t] {
			problems = append(problems, fmt.Sprintf("%s granted to %s, not %s", t, r, want[t]))
		}
	}
	for _, t := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[t]; !ok {
			problems = append(problems, "row-level security left on "+t)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s:\n  - %s", ErrVerify, what, strings.Join(problems, "\n  - "))
	}
	return nil
}
