package schemadiff

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/quarry-go/quarry/dialects"
)

// object is a schema object Atlas does not diff — a view, function,
// trigger or extension — carried through by statement: created, replaced
// (dropped and created again) or dropped as a whole.
type object struct {
	Kind, Name string
	Create     string // the statement that creates it, as the database reports it
	Fill       string // run once after Create: fills it from the rows there (a search index's rebuild)
	Drop       string
	order      int // creation order, for dependencies between objects
}

func (o object) key() string { return o.Kind + " " + o.Name }

// objects lists the scratch database's views, functions, triggers and
// extensions (dialects.SchemaTools.SchemaObjects). Kinds a dialect cannot
// report are refused where the DDL uses them (see unsupportedObjects).
func (s *scratch) objects(ctx context.Context) (map[string]object, error) {
	list, err := s.url.Dialect.SchemaObjects(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("list views and functions: %w", err)
	}
	out := map[string]object{}
	for _, so := range list {
		o := object{Kind: so.Kind, Name: so.Name, Create: so.Create, Fill: so.Fill, Drop: so.Drop, order: int(so.Order)}
		out[o.key()] = o
	}
	return out, nil
}

// objectChanges are the statements that carry the objects from one state
// to another, placed around the table changes so dependencies hold: views
// and triggers are dropped first and created last; extensions and
// functions are created first and dropped last.
type objectChanges struct {
	earlyDrops, earlyCreates []string
	backfill                 []string // UPDATEs that fill NULLs before a column becomes NOT NULL
	lateCreates, lateDrops   []string
	summary                  []string
	notes                    []string // comments for the file: what this direction cannot undo
	// rlsFirst and rlsLast carry row-level security (the
	// -- quarry:tenant-scoped hint): undone first, applied last.
	rlsFirst, rlsLast []string
}

// early reports whether objects of kind are created before the table
// changes (and dropped after them).
func early(kind string) bool { return kind == "extension" || kind == "function" }

// diffObjects carries from to to. recreate names objects that stay the
// same but must be dropped and created again because the tables they
// depend on change (views; on SQLite, triggers of rebuilt tables).
func diffObjects(from, to map[string]object, recreate func(object) bool) objectChanges {
	var c objectChanges
	var drops, creates []object
	for _, k := range sortedKeys(from) {
		f := from[k]
		t, ok := to[k]
		switch {
		case !ok:
			drops = append(drops, f)
			c.summary = append(c.summary, "drop "+f.key())
		case t.Create != f.Create:
			if !early(f.Kind) { // functions are replaced in place (CREATE OR REPLACE)
				drops = append(drops, f)
			}
			creates = append(creates, t)
			c.summary = append(c.summary, "replace "+f.key())
		case recreate != nil && recreate(f):
			drops = append(drops, f)
			creates = append(creates, t)
		}
	}
	for _, k := range sortedKeys(to) {
		if _, ok := from[k]; !ok {
			creates = append(creates, to[k])
			c.summary = append(c.summary, "create "+to[k].key())
		}
	}
	// Drop dependents before what they depend on: newest first.
	sort.SliceStable(drops, func(i, j int) bool { return drops[i].order > drops[j].order })
	sort.SliceStable(creates, func(i, j int) bool { return creates[i].order < creates[j].order })
	for _, o := range drops {
		if early(o.Kind) {
			c.lateDrops = append(c.lateDrops, o.Drop)
		} else {
			c.earlyDrops = append(c.earlyDrops, o.Drop)
		}
	}
	for _, o := range creates {
		if early(o.Kind) {
			c.earlyCreates = append(c.earlyCreates, o.Create)
		} else {
			c.lateCreates = append(c.lateCreates, o.Create)
		}
		if o.Fill != "" {
			c.lateCreates = append(c.lateCreates, o.Fill)
		}
	}
	return c
}

func (c objectChanges) empty() bool {
	return len(c.earlyDrops)+len(c.earlyCreates)+len(c.lateCreates)+len(c.lateDrops)+len(c.rlsFirst)+len(c.rlsLast) == 0
}

// before and after are the statements around the table changes.
func (c objectChanges) before() []string {
	return append(append(append(append([]string{}, c.rlsFirst...), c.earlyDrops...), c.earlyCreates...), c.backfill...)
}

func (c objectChanges) after() []string {
	return append(append(append([]string{}, c.lateCreates...), c.lateDrops...), c.rlsLast...)
}

func sortedKeys(m map[string]object) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unsupportedObjects names the DDL statements that create objects the
// differ cannot carry through on dialect d, so they are refused instead of
// being left out silently: those no dialect lists, and those d does not
// (dialects.SchemaTools.UnlistedObjectKinds).
func unsupportedObjects(d dialects.Dialect, stmts []located) []string {
	kinds := []string{"VIRTUAL TABLE", "MATERIALIZED VIEW", "SEQUENCE", "DOMAIN", "RULE", "POLICY", "SCHEMA", "AGGREGATE", "OPERATOR"}
	kinds = append(kinds, d.UnlistedObjectKinds()...)
	var out []string
	for _, st := range stmts {
		var words []string // the statement's words without modifiers
		for _, w := range strings.Fields(strings.ToUpper(stripLeadingComments(st.SQL))) {
			switch {
			case w == "OR" || w == "REPLACE" || w == "TEMP" || w == "TEMPORARY" || w == "UNLOGGED" || strings.HasPrefix(w, "DEFINER="):
				continue
			}
			words = append(words, w)
		}
		if len(words) < 3 || words[0] != "CREATE" {
			continue
		}
		head := strings.Join(words[:3], " ") + " "
		for _, kind := range kinds {
			if strings.HasPrefix(head, "CREATE "+kind+" ") {
				out = append(out, fmt.Sprintf("%s:%d: CREATE %s", st.file, st.Line, kind))
			}
		}
		head = strings.Join(words, " ")
		// Composite and range types; enums are diffed by Atlas.
		if strings.HasPrefix(head, "CREATE TYPE ") && !strings.Contains(head, " AS ENUM") {
			out = append(out, fmt.Sprintf("%s:%d: CREATE TYPE (not an enum)", st.file, st.Line))
		}
	}
	return out
}

func stripLeadingComments(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			return strings.Join(lines[i:], "\n")
		}
	}
	return ""
}
