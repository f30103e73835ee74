package dialecttest

import (
	"slices"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
)

// testCatalogRows reads the tables testIntrospection created (dt_parent,
// dt_child) through the dialect's Catalog methods, which introspect.Load
// builds its schema from, and checks their rows: what each method must
// list, in which order, and in the shared type names; then adds a table
// with literal defaults and checks them both as rows and as Load reads
// them.
func testCatalogRows(e *env) {
	t, d := e.t, e.db.Dialect
	tables, err := d.CatalogTables(e.ctx, e.db.DB)
	e.must("CatalogTables", err)
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
		if tb.RowEstimate < -1 {
			t.Errorf("CatalogTables: %s has row estimate %d", tb.Name, tb.RowEstimate)
		}
	}
	for _, want := range []string{"dt_parent", "dt_child", "quarry_users"} {
		if !slices.Contains(names, want) {
			t.Errorf("CatalogTables lacks %s: %v", want, names)
		}
	}
	if n, err := d.RowEstimate(e.ctx, e.db.DB, "dt_child"); err != nil || n < -1 {
		t.Errorf("RowEstimate(dt_child) = %d, %v", n, err)
	}

	cols, err := d.CatalogColumns(e.ctx, e.db.DB)
	e.must("CatalogColumns", err)
	var child []dialects.CatalogColumn
	for _, c := range cols {
		if c.Table == "dt_child" {
			child = append(child, c)
		}
	}
	want := []struct {
		name     string
		types    []dialects.CatalogType
		nullable bool
		maxLen   int
	}{
		{"id", []dialects.CatalogType{dialects.TypeInteger, dialects.TypeBigInt}, false, 0},
		{"title", []dialects.CatalogType{dialects.TypeVarchar}, false, 100},
		{"body", []dialects.CatalogType{dialects.TypeText}, false, 0},
		{"seen_at", []dialects.CatalogType{dialects.TypeTimestamp}, true, 0},
		{"parent_id", []dialects.CatalogType{dialects.TypeInteger, dialects.TypeBigInt}, true, 0},
	}
	if len(child) != len(want) {
		t.Fatalf("CatalogColumns of dt_child: %+v; want %d columns", child, len(want))
	}
	for i, w := range want {
		c := child[i]
		if c.Name != w.name || !slices.Contains(w.types, c.TypeName) || c.Nullable != w.nullable || c.MaxLength != w.maxLen || c.Default != "" || c.Generated {
			t.Errorf("CatalogColumns of dt_child, #%d: %+v; want %s of type %v, nullable %v, max length %d, no default",
				i, c, w.name, w.types, w.nullable, w.maxLen)
		}
	}

	idx, err := d.CatalogIndexes(e.ctx, e.db.DB)
	e.must("CatalogIndexes", err)
	var childIdx []dialects.CatalogIndexColumn
	for _, r := range idx {
		if r.Table == "dt_child" {
			childIdx = append(childIdx, r)
		}
	}
	if len(childIdx) == 0 || !childIdx[0].Primary || !childIdx[0].Unique || childIdx[0].Column != "id" {
		t.Errorf("CatalogIndexes of dt_child: %+v; want the primary key (id) first", childIdx)
	}
	if !slices.Contains(childIdx, dialects.CatalogIndexColumn{Table: "dt_child", Index: "dt_child_title_key", Column: "title", Unique: true}) {
		t.Errorf("CatalogIndexes of dt_child: %+v; want dt_child_title_key on title", childIdx)
	}

	fks, err := d.CatalogForeignKeys(e.ctx, e.db.DB)
	e.must("CatalogForeignKeys", err)
	var childFKs []dialects.CatalogForeignKeyColumn
	for _, r := range fks {
		if r.Table == "dt_child" {
			childFKs = append(childFKs, r)
		}
	}
	if len(childFKs) != 1 || childFKs[0].Constraint == "" || childFKs[0].Column != "parent_id" ||
		childFKs[0].RefTable != "dt_parent" || childFKs[0].RefColumn != "id" ||
		(childFKs[0].OnDelete != "NO ACTION" && childFKs[0].OnDelete != "RESTRICT") {
		t.Errorf("CatalogForeignKeys of dt_child: %+v; want parent_id → dt_parent(id), no action", childFKs)
	}

	// Literal defaults, whichever way the database writes them.
	q := d.QuoteIdent
	ddl := "CREATE TABLE " + q("dt_defaults") + " (" +
		q("id") + " INTEGER NOT NULL PRIMARY KEY, " +
		q("n") + " INTEGER NOT NULL DEFAULT 7, " +
		q("s") + " VARCHAR(10) NOT NULL DEFAULT 'it''s', " +
		q("e") + " VARCHAR(10) NOT NULL DEFAULT '', " +
		q("x") + " VARCHAR(10) NULL)"
	_, err = e.db.DB.ExecContext(e.ctx, ddl)
	e.must(ddl, d.ClassifyError(err))
	cols, err = d.CatalogColumns(e.ctx, e.db.DB)
	e.must("CatalogColumns", err)
	for _, c := range cols {
		if c.Table == "dt_defaults" && c.Name != "id" && c.Name != "x" && ((c.Default == "" && c.DefaultForm != dialects.DefaultBare) || c.DefaultForm == dialects.DefaultExpression) {
			t.Errorf("CatalogColumns: dt_defaults.%s has default %q in form %d; want a plain value", c.Name, c.Default, c.DefaultForm)
		}
	}
	s, err := introspect.Load(e.ctx, e.db)
	e.must("introspect.Load", err)
	defaults, ok := s.Table("dt_defaults")
	if !ok {
		t.Fatalf("dt_defaults not read back")
	}
	for _, w := range []struct{ col, value string }{{"n", "7"}, {"s", "it's"}, {"e", ""}} {
		c, ok := defaults.Column(w.col)
		if !ok || !c.DefaultLiteral || c.DefaultValue != w.value {
			t.Errorf("dt_defaults.%s: %+v; want the literal default %q", w.col, c, w.value)
		}
	}
	if c, ok := defaults.Column("x"); !ok || c.HasDefault() || c.DefaultLiteral {
		t.Errorf("dt_defaults.x: %+v; want no default", c)
	}
}
