package dialecttest

import (
	"slices"
	"testing"

	"github.com/quarry-go/quarry/framework/introspect"
)

// testIntrospection creates two tables with DDL built from QuoteIdent
// (an integer primary key, NOT NULL text, a nullable timestamp, a foreign
// key, a unique index) and reads them back with introspect.Load, then
// through the dialect's Catalog methods (testCatalogRows).
func testIntrospection(t *testing.T, open Open) {
	e := newEnv(t, open)
	q := e.db.Dialect.QuoteIdent
	for _, ddl := range []string{
		"CREATE TABLE " + q("dt_parent") + " (" + q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") + " VARCHAR(50) NOT NULL)",
		"CREATE TABLE " + q("dt_child") + " (" +
			q("id") + " INTEGER NOT NULL PRIMARY KEY, " +
			q("title") + " VARCHAR(100) NOT NULL, " +
			q("body") + " TEXT NOT NULL, " +
			q("seen_at") + " TIMESTAMP NULL, " +
			q("parent_id") + " INTEGER NULL, " +
			"CONSTRAINT " + q("dt_child_parent_fk") + " FOREIGN KEY (" + q("parent_id") + ") REFERENCES " + q("dt_parent") + " (" + q("id") + "))",
		"CREATE UNIQUE INDEX " + q("dt_child_title_key") + " ON " + q("dt_child") + " (" + q("title") + ")",
	} {
		_, err := e.db.DB.ExecContext(e.ctx, ddl)
		e.must(ddl, e.db.Dialect.ClassifyError(err))
	}
	s, err := introspect.Load(e.ctx, e.db)
	e.must("introspect.Load", err)
	if s.Dialect != e.db.Dialect.Name() {
		t.Errorf("schema of dialect %q; want %q", s.Dialect, e.db.Dialect.Name())
	}
	child, ok := s.Table("dt_child")
	if !ok {
		t.Fatalf("dt_child not read back; tables: %v", tableNames(s))
	}
	if _, ok := s.Table("quarry_users"); !ok {
		t.Errorf("the framework's tables are not read back: %v", tableNames(s))
	}
	for _, c := range []struct {
		name     string
		kind     introspect.Kind
		nullable bool
		maxLen   int
	}{
		{"id", introspect.KindInt, false, 0},
		{"title", introspect.KindText, false, 100},
		{"body", introspect.KindLongText, false, 0},
		{"seen_at", introspect.KindDateTime, true, 0},
		{"parent_id", introspect.KindInt, true, 0},
	} {
		col, ok := child.Column(c.name)
		if !ok {
			t.Errorf("column %s not read back", c.name)
			continue
		}
		if col.Kind != c.kind || col.Nullable != c.nullable || (c.maxLen != 0 && col.MaxLength != c.maxLen) {
			t.Errorf("column %s (%s): kind %v nullable %v max length %d; want %v %v %d",
				c.name, col.Type, col.Kind, col.Nullable, col.MaxLength, c.kind, c.nullable, c.maxLen)
		}
	}
	if names := columnNames(child); !slices.Equal(names, []string{"id", "title", "body", "seen_at", "parent_id"}) {
		t.Errorf("columns %v, not in declaration order", names)
	}
	if !slices.Equal(child.PrimaryKey, []string{"id"}) {
		t.Errorf("primary key %v; want [id]", child.PrimaryKey)
	}
	fk, ok := child.ForeignKeyOn("parent_id")
	if !ok || fk.RefTable != "dt_parent" || !slices.Equal(fk.Columns, []string{"parent_id"}) || !slices.Equal(fk.RefColumns, []string{"id"}) {
		t.Errorf("foreign key on parent_id: %+v (found %v); want → dt_parent(id)", fk, ok)
	}
	if refs := s.ReferencesTo("dt_parent"); len(refs) != 1 || refs[0].Table != "dt_child" {
		t.Errorf("references to dt_parent: %+v", refs)
	}
	var unique bool
	for _, ix := range child.Indexes {
		if ix.Unique && !ix.Primary && slices.Equal(ix.Columns, []string{"title"}) {
			unique = true
		}
	}
	if !unique {
		t.Errorf("no unique index on title among %+v", child.Indexes)
	}
	if !slices.ContainsFunc(child.UniqueKeys(), func(k []string) bool { return slices.Equal(k, []string{"title"}) }) {
		t.Errorf("unique keys %v lack [title]", child.UniqueKeys())
	}
	parent, ok := s.Table("dt_parent")
	if !ok || !slices.Equal(parent.PrimaryKey, []string{"id"}) || len(parent.ForeignKeys) != 0 {
		t.Errorf("dt_parent: %+v (found %v)", parent, ok)
	}
	testCatalogRows(e)
}

func tableNames(s *introspect.Schema) []string {
	var out []string
	for _, t := range s.Tables {
		out = append(out, t.Name)
	}
	return out
}

func columnNames(t *introspect.Table) []string {
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}
