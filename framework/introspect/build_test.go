package introspect

import (
	"slices"
	"testing"

	"github.com/quarry-go/quarry/dialects"
)

// TestBuild checks the shared builder on hand-made catalog rows: what no
// single database's catalog shows at once.
func TestBuild(t *testing.T) {
	s := build(&catalogRows{
		tables: []dialects.CatalogTable{{Name: "b", RowEstimate: 5}, {Name: "a", RowEstimate: -1}, {Name: "b", RowEstimate: 9}},
		columns: []dialects.CatalogColumn{
			{Table: "a", Name: "id", TypeName: dialects.TypeBigInt, Auto: true},
			{Table: "a", Name: "bare", TypeName: dialects.TypeVarchar, MaxLength: 5, Default: "", DefaultForm: dialects.DefaultBare},
			{Table: "a", Name: "expr", TypeName: dialects.TypeVarchar, Default: "'x'", DefaultForm: dialects.DefaultExpression},
			{Table: "a", Name: "sql", TypeName: dialects.TypeText, Default: "('a''b'::text)"},
			{Table: "a", Name: "on", TypeName: dialects.TypeBoolean, Default: "1", DefaultForm: dialects.DefaultBare},
			{Table: "a", Name: "odd", TypeName: dialects.TypeBoolean, Default: "2"},
			{Table: "a", Name: "gen", TypeName: dialects.TypeReal, Default: "1.5", Generated: true},
			{Table: "a", Name: "mood", Type: "mood", TypeName: dialects.TypeEnum, Enum: []string{"x", "y"}},
			{Table: "a", Name: "ip", Type: "inet", TypeName: "inet"},
			{Table: "view", Name: "id", TypeName: dialects.TypeInteger},
			{Table: "b", Name: "a_id", TypeName: dialects.TypeInteger},
		},
		indexes: []dialects.CatalogIndexColumn{
			{Table: "a", Index: "primary", Column: "id", Unique: true, Primary: true},
			{Table: "a", Index: "primary", Column: "bare"},
			{Table: "a", Index: "primary", Column: "sql"},
			{Table: "view", Index: "v", Column: "id"},
		},
		fks: []dialects.CatalogForeignKeyColumn{
			{Table: "b", Constraint: "b_fk0", Column: "a_id", RefTable: "a", OnDelete: "set null"},
			{Table: "b", Constraint: "b_fk1", Column: "a_id", RefTable: "gone", OnDelete: "NO ACTION"},
			{Table: "view", Constraint: "v_fk", Column: "id", RefTable: "a", RefColumn: "id"},
		},
	})
	if len(s.Tables) != 2 || s.Tables[0].Name != "a" || s.Tables[1].Name != "b" || s.Tables[1].RowEstimate != 5 {
		t.Fatalf("tables %+v; want a, then b (estimate 5), once each", s.Tables)
	}
	a, b := s.Tables[0], s.Tables[1]
	for _, w := range []struct {
		col     string
		kind    Kind
		bits    int
		def     string
		literal bool
		value   string
	}{
		{"id", KindInt, 64, "", false, ""},
		{"bare", KindText, 0, "", true, ""},
		{"expr", KindText, 0, "'x'", false, ""},
		{"sql", KindLongText, 0, "('a''b'::text)", true, "a'b"},
		{"on", KindBool, 0, "1", true, "true"},
		{"odd", KindBool, 0, "2", false, ""},
		{"gen", KindFloat, 32, "", false, ""},
		{"mood", KindEnum, 0, "", false, ""},
		{"ip", KindOther, 0, "", false, ""},
	} {
		c, ok := a.Column(w.col)
		if !ok || c.Kind != w.kind || c.Bits != w.bits || c.Default != w.def || c.DefaultLiteral != w.literal || c.DefaultValue != w.value {
			t.Errorf("column %s: %+v; want kind %v, %d bits, default %q (literal %v, %q)", w.col, c, w.kind, w.bits, w.def, w.literal, w.value)
		}
	}
	if c, _ := a.Column("mood"); !slices.Equal(c.Enum, []string{"x", "y"}) {
		t.Errorf("enum values %v", c.Enum)
	}
	if c, _ := a.Column("bare"); c.MaxLength != 5 {
		t.Errorf("max length %d", c.MaxLength)
	}
	// A plain index may share the name SQLite gives its primary key.
	if len(a.Indexes) != 2 || !slices.Equal(a.Indexes[0].Columns, []string{"id"}) || !a.Indexes[0].Primary ||
		!slices.Equal(a.Indexes[1].Columns, []string{"bare", "sql"}) || a.Indexes[1].Primary {
		t.Errorf("indexes %+v", a.Indexes)
	}
	if !slices.Equal(a.PrimaryKey, []string{"id"}) || b.PrimaryKey != nil {
		t.Errorf("primary keys %v and %v; want [id] and nil", a.PrimaryKey, b.PrimaryKey)
	}
	if len(b.ForeignKeys) != 2 {
		t.Fatalf("foreign keys %+v", b.ForeignKeys)
	}
	if fk := b.ForeignKeys[0]; fk.RefTable != "a" || !slices.Equal(fk.RefColumns, []string{"id"}) || fk.OnDelete != "SET NULL" {
		t.Errorf("a foreign key naming no columns: %+v; want a(id), SET NULL", fk)
	}
	if fk := b.ForeignKeys[1]; !slices.Equal(fk.RefColumns, []string{""}) {
		t.Errorf("a foreign key to a missing table: %+v", fk)
	}
}
