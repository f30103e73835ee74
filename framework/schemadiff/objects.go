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
	Drop       string
	order      int // creation order, for dependencies between objects
}

func (o object) key() string { return o.Kind + " " + o.Name }

// objects lists the scratch database's views, functions, triggers and
// extensions. Kinds a dialect cannot report are refused where the DDL uses
// them (see unsupportedObjects).
func (s *scratch) objects(ctx context.Context) (map[string]object, error) {
	var q string
	switch s.url.Dialect.Name() {
	case dialects.SQLite:
		q = `SELECT type, name, sql, 'DROP ' || upper(type) || ' ' || '"' || name || '"', rowid
			FROM sqlite_master WHERE type IN ('view', 'trigger') AND sql IS NOT NULL`
	case dialects.Postgres:
		q = `SELECT 'view', c.relname, 'CREATE VIEW ' || quote_ident(c.relname) || ' AS' || chr(10) || pg_get_viewdef(c.oid),
				'DROP VIEW ' || quote_ident(c.relname), c.oid::bigint
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind = 'v' AND n.nspname = current_schema()
			  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
			UNION ALL
			SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid), 'DROP FUNCTION ' || p.oid::regprocedure::text, p.oid::bigint
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
			  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
			UNION ALL
			SELECT 'trigger', t.tgname || ' ON ' || c.relname, pg_get_triggerdef(t.oid),
				'DROP TRIGGER ' || quote_ident(t.tgname) || ' ON ' || quote_ident(c.relname), t.oid::bigint
			FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE NOT t.tgisinternal AND n.nspname = current_schema()
			UNION ALL
			SELECT 'extension', e.extname, 'CREATE EXTENSION IF NOT EXISTS ' || quote_ident(e.extname),
				'DROP EXTENSION IF EXISTS ' || quote_ident(e.extname), e.oid::bigint
			FROM pg_extension e WHERE e.extname <> 'plpgsql'`
	case dialects.MySQL:
		q = `SELECT 'view', TABLE_NAME, CONCAT('CREATE VIEW ', CHAR(96), TABLE_NAME, CHAR(96), ' AS ', VIEW_DEFINITION),
				CONCAT('DROP VIEW ', CHAR(96), TABLE_NAME, CHAR(96)), 0
			FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list views and functions: %w", err)
	}
	defer rows.Close()
	out := map[string]object{}
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.Kind, &o.Name, &o.Create, &o.Drop, &o.order); err != nil {
			return nil, err
		}
		if s.url.Dialect.Name() == dialects.MySQL {
			// MySQL qualifies every name with the (scratch) database's.
			o.Create = strings.ReplaceAll(o.Create, "`"+s.url.Database+"`.", "")
		}
		out[o.key()] = o
	}
	return out, rows.Err()
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
	}
	return c
}

func (c objectChanges) empty() bool {
	return len(c.earlyDrops)+len(c.earlyCreates)+len(c.lateCreates)+len(c.lateDrops) == 0
}

// before and after are the statements around the table changes.
func (c objectChanges) before() []string {
	return append(append(append([]string{}, c.earlyDrops...), c.earlyCreates...), c.backfill...)
}

func (c objectChanges) after() []string {
	return append(append([]string{}, c.lateCreates...), c.lateDrops...)
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
// being left out silently.
func unsupportedObjects(d dialects.Name, stmts []located) []string {
	kinds := []string{"VIRTUAL TABLE", "MATERIALIZED VIEW", "SEQUENCE", "DOMAIN", "RULE", "POLICY", "SCHEMA", "AGGREGATE", "OPERATOR"}
	if d == dialects.MySQL {
		kinds = append(kinds, "FUNCTION", "PROCEDURE", "TRIGGER", "EVENT")
	}
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
