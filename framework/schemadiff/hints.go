package schemadiff

import (
	"regexp"
	"strings"

	"ariga.io/atlas/sql/schema"
)

// renames are the rename hints of a DDL directory: a comment
// "-- quarry:renamed-from OLD" above a CREATE TABLE, or on the line of a
// column, turns a drop and an add into a rename.
type renames struct {
	tables  map[string]string            // new table name → old
	columns map[string]map[string]string // table → new column → old
}

var (
	hintRe        = regexp.MustCompile(`--\s*quarry:renamed-from\s+["` + "`" + `]?(\w+)`)
	createTableRe = regexp.MustCompile(`(?is)^\s*(?:--[^\n]*\n\s*)*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["` + "`" + `]?(\w+)`)
	columnNameRe  = regexp.MustCompile(`^\s*["` + "`" + `]?(\w+)`)
)

// readRenames collects the hints of the DDL (as readDDL split it).
func readRenames(ddl []located) *renames {
	r := &renames{tables: map[string]string{}, columns: map[string]map[string]string{}}
	for _, st := range ddl {
		m := createTableRe.FindStringSubmatch(st.SQL)
		if m == nil {
			continue
		}
		table := m[1]
		head, body, _ := strings.Cut(st.SQL, "(")
		if h := hintRe.FindStringSubmatch(head); h != nil {
			r.tables[table] = h[1]
		}
		pending := "" // a hint on its own line applies to the next column
		for _, line := range strings.Split(body, "\n") {
			h := hintRe.FindStringSubmatch(line)
			c := columnNameRe.FindStringSubmatch(line)
			if c == nil {
				if h != nil {
					pending = h[1]
				}
				continue
			}
			if h == nil && pending != "" {
				h = []string{"", pending}
			}
			pending = ""
			if h == nil {
				continue
			}
			if r.columns[table] == nil {
				r.columns[table] = map[string]string{}
			}
			r.columns[table][c[1]] = h[1]
		}
	}
	return r
}

// apply renames, in from (a fresh copy of the current schema), the tables
// and columns that to names with a hint, and returns the rename changes to
// run before the diff of the renamed from against to. Hints whose old name
// is gone from from (the rename already happened) are ignored.
func (r *renames) apply(from, to *schema.Schema) []schema.Change {
	var out []schema.Change
	for newName, oldName := range r.tables {
		old, okOld := from.Table(oldName)
		_, okNew := from.Table(newName)
		nt, inTo := to.Table(newName)
		if !okOld || okNew || !inTo {
			continue
		}
		before := *old
		out = append(out, &schema.RenameTable{From: &before, To: nt})
		old.Name = newName // indexes and foreign keys keep pointing at it
	}
	for table, cols := range r.columns {
		ft, ok := from.Table(table)
		tt, ok2 := to.Table(table)
		if !ok || !ok2 {
			continue
		}
		var changes []schema.Change
		for newCol, oldCol := range cols {
			oc, okOld := ft.Column(oldCol)
			_, okNew := ft.Column(newCol)
			nc, inTo := tt.Column(newCol)
			if !okOld || okNew || !inTo {
				continue
			}
			before := *oc
			changes = append(changes, &schema.RenameColumn{From: &before, To: nc})
			oc.Name = newCol
		}
		if len(changes) > 0 {
			out = append(out, &schema.ModifyTable{T: tt, Changes: changes})
		}
	}
	return out
}

// reverse returns the hints that undo these renames, for the down diff.
func (r *renames) reverse() *renames {
	rev := &renames{tables: map[string]string{}, columns: map[string]map[string]string{}}
	for n, o := range r.tables {
		rev.tables[o] = n
	}
	for t, cols := range r.columns {
		// The table may be renamed in the same migration (then the down
		// sees its old name) or in an earlier one (then its hint is stale
		// and the down sees the new name): file the hints under both.
		names := []string{t}
		if old, ok := r.tables[t]; ok {
			names = append(names, old)
		}
		for _, table := range names {
			rev.columns[table] = map[string]string{}
			for n, o := range cols {
				rev.columns[table][o] = n
			}
		}
	}
	return rev
}
