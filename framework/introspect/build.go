package introspect

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/queries"
)

// catalogRows is everything a dialect's Catalog answers about a database.
type catalogRows struct {
	tables  []dialects.CatalogTable
	views   []dialects.CatalogTable
	columns []dialects.CatalogColumn
	indexes []dialects.CatalogIndexColumn
	fks     []dialects.CatalogForeignKeyColumn
}

// readCatalog asks c for the rows of every table, column, index and
// foreign key of the database behind db.
func readCatalog(ctx context.Context, db queries.DBTX, c dialects.Catalog) (*catalogRows, error) {
	var r catalogRows
	var err error
	if r.tables, err = c.CatalogTables(ctx, db); err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	if r.views, err = c.CatalogViews(ctx, db); err != nil {
		return nil, fmt.Errorf("views: %w", err)
	}
	if r.columns, err = c.CatalogColumns(ctx, db); err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	if r.indexes, err = c.CatalogIndexes(ctx, db); err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	if r.fks, err = c.CatalogForeignKeys(ctx, db); err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	return &r, nil
}

// build turns catalog rows into a schema: tables sorted by name, columns
// in the order given with their kinds and defaults, indexes and foreign
// keys grouped from their column rows, each table's primary key taken
// from its primary index, and foreign keys that name no target columns
// pointed at the target's primary key; views with their columns apart.
// Rows of tables not listed (partitions) are ignored.
func build(r *catalogRows) *Schema {
	s := &Schema{}
	tables := map[string]*Table{}
	for _, row := range r.tables {
		if _, dup := tables[row.Name]; !dup {
			t := &Table{Name: row.Name, RowEstimate: row.RowEstimate}
			tables[row.Name] = t
			s.Tables = append(s.Tables, t)
		}
	}
	views := map[string]*Table{}
	for _, row := range r.views {
		if _, dup := tables[row.Name]; !dup && views[row.Name] == nil {
			v := &Table{Name: row.Name, RowEstimate: -1, View: true}
			views[row.Name] = v
			s.Views = append(s.Views, v)
		}
	}
	for _, row := range r.columns {
		if t, ok := tables[row.Table]; ok {
			t.Columns = append(t.Columns, column(row))
		} else if v, ok := views[row.Table]; ok {
			c := column(row)
			c.Auto, c.Default, c.DefaultValue, c.DefaultLiteral = false, "", "", false // a view's column is read, never written
			v.Columns = append(v.Columns, c)
		}
	}
	for _, row := range r.indexes {
		t, ok := tables[row.Table]
		if !ok {
			continue
		}
		if n := len(t.Indexes); n > 0 && t.Indexes[n-1].Name == row.Index && t.Indexes[n-1].Primary == row.Primary {
			t.Indexes[n-1].Columns = append(t.Indexes[n-1].Columns, row.Column)
			continue
		}
		t.Indexes = append(t.Indexes, Index{Name: row.Index, Columns: []string{row.Column}, Unique: row.Unique, Primary: row.Primary, Search: row.Search})
	}
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			if ix.Primary && len(t.PrimaryKey) == 0 {
				t.PrimaryKey = ix.Columns
			}
		}
	}
	for _, row := range r.fks {
		t, ok := tables[row.Table]
		if !ok {
			continue
		}
		if n := len(t.ForeignKeys); n > 0 && t.ForeignKeys[n-1].Name == row.Constraint {
			fk := &t.ForeignKeys[n-1]
			fk.Columns = append(fk.Columns, row.Column)
			fk.RefColumns = append(fk.RefColumns, row.RefColumn)
			continue
		}
		t.ForeignKeys = append(t.ForeignKeys, ForeignKey{Name: row.Constraint, Columns: []string{row.Column},
			RefTable: row.RefTable, RefColumns: []string{row.RefColumn}, OnDelete: strings.ToUpper(row.OnDelete)})
	}
	// A foreign key that names no target columns points at the primary key.
	for _, t := range s.Tables {
		for i := range t.ForeignKeys {
			fk := &t.ForeignKeys[i]
			if rt, ok := tables[fk.RefTable]; ok && !slices.ContainsFunc(fk.RefColumns, func(c string) bool { return c != "" }) {
				fk.RefColumns = append([]string(nil), rt.PrimaryKey...)
			}
		}
	}
	slices.SortFunc(s.Tables, func(a, b *Table) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Views, func(a, b *Table) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// kindBits is the kind, and the size in bits of numbers, of each catalog
// type; a type not listed is KindOther.
var kindBits = map[dialects.CatalogType]struct {
	kind Kind
	bits int
}{
	dialects.TypeTinyInt:   {KindInt, 8},
	dialects.TypeSmallInt:  {KindInt, 16},
	dialects.TypeMediumInt: {KindInt, 24},
	dialects.TypeInteger:   {KindInt, 32},
	dialects.TypeBigInt:    {KindInt, 64},
	dialects.TypeDecimal:   {KindDecimal, 0},
	dialects.TypeReal:      {KindFloat, 32},
	dialects.TypeDouble:    {KindFloat, 64},
	dialects.TypeFloat:     {KindFloat, 0},
	dialects.TypeBoolean:   {KindBool, 0},
	dialects.TypeVarchar:   {KindText, 0},
	dialects.TypeText:      {KindLongText, 0},
	dialects.TypeDate:      {KindDate, 0},
	dialects.TypeTimestamp: {KindDateTime, 0},
	dialects.TypeTime:      {KindTime, 0},
	dialects.TypeJSON:      {KindJSON, 0},
	dialects.TypeUUID:      {KindUUID, 0},
	dialects.TypeEnum:      {KindEnum, 0},
	dialects.TypeBinary:    {KindBinary, 0},
}

// boolDefaults are the plain defaults of a boolean column that name a
// truth value (MySQL and SQLite store booleans as 0 and 1).
var boolDefaults = map[string]string{"0": "false", "1": "true", "true": "true", "false": "false"}

// column turns a catalog row into a column. A generated column has no
// default; a plain default's value is read according to its form, and a
// boolean's must name a truth value.
func column(r dialects.CatalogColumn) *Column {
	kb := kindBits[r.TypeName]
	c := &Column{
		Name: r.Name, Type: r.Type, Kind: kb.kind, Bits: kb.bits, Unsigned: r.Unsigned, MaxLength: r.MaxLength,
		Nullable: r.Nullable, Auto: r.Auto, Generated: r.Generated, Enum: r.Enum,
	}
	if c.Generated {
		return c
	}
	c.Default = r.Default
	switch r.DefaultForm {
	case dialects.DefaultExpression:
	case dialects.DefaultBare:
		c.DefaultValue, c.DefaultLiteral = r.Default, true
	default:
		c.DefaultValue, c.DefaultLiteral = literalDefault(r.Default)
	}
	if c.Kind == KindBool && c.DefaultLiteral {
		c.DefaultValue = boolDefaults[strings.ToLower(c.DefaultValue)]
		c.DefaultLiteral = c.DefaultValue != ""
	}
	return c
}

// literalDefault recognises a default that is a plain value: a quoted
// string (optionally cast, as PostgreSQL reports it), a number or a boolean.
func literalDefault(expr string) (string, bool) {
	e := strings.TrimSpace(expr)
	for strings.HasPrefix(e, "(") && strings.HasSuffix(e, ")") {
		e = strings.TrimSpace(e[1 : len(e)-1])
	}
	if strings.HasPrefix(e, "'") {
		end := strings.LastIndex(e, "'")
		if end == 0 {
			return "", false
		}
		rest := e[end+1:]
		if rest != "" && !strings.HasPrefix(rest, "::") {
			return "", false
		}
		return strings.ReplaceAll(e[1:end], "''", "'"), true
	}
	switch strings.ToLower(e) {
	case "true":
		return "true", true
	case "false":
		return "false", true
	}
	if _, err := strconv.ParseFloat(strings.TrimSuffix(e, "::numeric"), 64); err == nil {
		return strings.TrimSuffix(e, "::numeric"), true
	}
	return "", false
}
