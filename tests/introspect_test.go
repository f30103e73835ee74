package tests

import (
	"context"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestIntrospect reads the admin test schema back on every dialect: kinds,
// lengths, nullability, defaults, keys, foreign keys and their actions.
func TestIntrospect(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		schema, err := introspect.Load(context.Background(), s.db.Database())
		if err != nil {
			t.Fatal(err)
		}
		products, ok := schema.Table("products")
		if !ok {
			t.Fatal("no products table")
		}
		if _, ok := schema.Table("nope"); ok {
			t.Error("found a table that does not exist")
		}
		statusKind := introspect.KindEnum
		if db.Name == "sqlite" {
			statusKind = introspect.KindText
		}
		cases := []struct {
			col      string
			kind     introspect.Kind
			nullable bool
			auto     bool
			maxLen   int
			literal  string // the literal default, "" for none
			hasDef   bool
		}{
			{"id", introspect.KindInt, false, true, 0, "", true},
			{"category_id", introspect.KindInt, true, false, 0, "", false},
			{"name", introspect.KindText, false, false, 100, "", false},
			{"description", introspect.KindLongText, false, false, 0, "", true},
			{"price", introspect.KindDecimal, false, false, 0, "", false},
			{"stock", introspect.KindInt, false, false, 0, "0", true},
			{"weight", introspect.KindFloat, true, false, 0, "", false},
			{"active", introspect.KindBool, false, false, 0, "true", true},
			{"released", introspect.KindDate, true, false, 0, "", false},
			{"updated_at", introspect.KindDateTime, false, false, 0, "", true},
			{"status", statusKind, false, false, 0, "draft", true},
			{"attrs", introspect.KindJSON, true, false, 0, "", false},
		}
		for _, c := range cases {
			col, ok := products.Column(c.col)
			if !ok {
				t.Errorf("no column %s", c.col)
				continue
			}
			if col.Kind != c.kind || col.Nullable != c.nullable || col.Auto != c.auto || col.HasDefault() != c.hasDef {
				t.Errorf("%s (%s): kind %v nullable %v auto %v default %v; want %v %v %v %v", c.col, col.Type, col.Kind, col.Nullable, col.Auto, col.HasDefault(), c.kind, c.nullable, c.auto, c.hasDef)
			}
			if c.maxLen != 0 && col.MaxLength != c.maxLen {
				t.Errorf("%s: max length %d", c.col, col.MaxLength)
			}
			if c.literal != "" && (!col.DefaultLiteral || col.DefaultValue != c.literal) {
				t.Errorf("%s: default %q literal %v value %q; want %q", c.col, col.Default, col.DefaultLiteral, col.DefaultValue, c.literal)
			}
		}
		if c, ok := products.Column("stock_value"); !ok || !c.Generated || c.Default != "" {
			t.Errorf("stock_value: %+v", c)
		}
		if c, _ := products.Column("updated_at"); c.DefaultLiteral {
			t.Errorf("updated_at's default %q taken as a literal", c.Default)
		}
		if c, _ := products.Column("description"); !c.DefaultLiteral || c.DefaultValue != "" {
			t.Errorf("description's default: %q literal %v", c.Default, c.DefaultLiteral)
		}
		if c, _ := products.Column("status"); db.Name != "sqlite" && !slices.Equal(c.Enum, []string{"draft", "live", "retired"}) {
			t.Errorf("status values: %v", c.Enum)
		}
		if c, _ := products.Column("stock"); db.Name != "sqlite" && c.Bits != 32 {
			t.Errorf("stock bits: %d", c.Bits)
		}
		if !slices.Equal(products.PrimaryKey, []string{"id"}) {
			t.Errorf("products key: %v", products.PrimaryKey)
		}
		if !slices.ContainsFunc(products.UniqueKeys(), func(k []string) bool { return slices.Equal(k, []string{"sku"}) }) {
			t.Errorf("unique keys: %v", products.UniqueKeys())
		}
		fk, ok := products.ForeignKeyOn("category_id")
		if !ok || fk.RefTable != "categories" || !slices.Equal(fk.RefColumns, []string{"id"}) || fk.OnDelete != "SET NULL" {
			t.Errorf("category foreign key: %+v", fk)
		}
		levels, _ := schema.Table("stock_levels")
		if !slices.Equal(levels.PrimaryKey, []string{"product_id", "warehouse"}) {
			t.Errorf("stock_levels key: %v", levels.PrimaryKey)
		}
		refs := schema.ReferencesTo("products")
		actions := map[string]string{}
		for _, r := range refs {
			actions[r.Table] = r.FK.OnDelete
		}
		if actions["reviews"] != "CASCADE" || actions["stock_levels"] != "RESTRICT" || len(refs) != 2 {
			t.Errorf("references to products: %v", actions)
		}
		if users, ok := schema.Table("quarry_users"); !ok || !slices.ContainsFunc(users.UniqueKeys(), func(k []string) bool { return slices.Equal(k, []string{"username"}) }) {
			t.Errorf("quarry_users unique keys: %+v", users)
		}
		// A key the application assigns (no identity, a WITHOUT ROWID
		// table on SQLite), and a unique index whose INCLUDE column
		// (PostgreSQL) is not part of the key.
		codes, _ := schema.Table("codes")
		if n, _ := codes.Column("n"); n == nil || n.Auto || n.HasDefault() {
			t.Errorf("codes.n: %+v", n)
		}
		if got := codes.UniqueKeys(); len(got) != 2 || !slices.Equal(got[1], []string{"label"}) {
			t.Errorf("codes unique keys: %v", got)
		}
		est, err := introspect.Estimate(context.Background(), s.db.SQL, db.Dialect(), "products")
		if err != nil || db.Name == "sqlite" && est != -1 {
			t.Errorf("estimate: %d %v", est, err)
		}
	})
}
