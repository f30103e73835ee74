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
// to another: drops before the table changes, creates after them.
type objectChanges struct {
	drops, creates []string
	summary        []string
	notes          []string // comments for the file: what this direction cannot undo
}

func diffObjects(from, to map[string]object) objectChanges {
	var c objectChanges
	var creates []object
	for _, k := range sortedKeys(from) {
		f := from[k]
		t, ok := to[k]
		switch {
		case !ok:
			c.drops = append(c.drops, f.Drop)
			c.summary = append(c.summary, "drop "+f.key())
		case t.Create != f.Create:
			c.drops = append(c.drops, f.Drop)
			creates = append(creates, t)
			c.summary = append(c.summary, "replace "+f.key())
		}
	}
	for _, k := range sortedKeys(to) {
		if _, ok := from[k]; !ok {
			creates = append(creates, to[k])
			c.summary = append(c.summary, "create "+to[k].key())
		}
	}
	sort.SliceStable(creates, func(i, j int) bool { return creates[i].order < creates[j].order })
	for _, o := range creates {
		c.creates = append(c.creates, o.Create)
	}
	return c
}

func (c objectChanges) empty() bool { return len(c.drops) == 0 && len(c.creates) == 0 }

func sortedKeys(m map[string]object) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unsupportedObjects names the DDL statements that create objects this
// dialect's differ cannot carry through, so they are refused instead of
// silently dropped.
func unsupportedObjects(d dialects.Name, stmts []statement) []string {
	if d != dialects.MySQL {
		return nil
	}
	var out []string
	for _, st := range stmts {
		head := strings.ToUpper(strings.Join(strings.Fields(stripLeadingComments(st.SQL)), " "))
		for _, kind := range []string{"FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"} {
			if strings.HasPrefix(head, "CREATE "+kind) || strings.Contains(head, " DEFINER") && strings.Contains(head, " "+kind+" ") {
				out = append(out, fmt.Sprintf("line %d: CREATE %s", st.Line, kind))
			}
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
