// Package introspect reads a live database's schema — tables, columns and
// their types, nullability, defaults, primary keys, foreign keys, unique
// constraints and indexes — into one dialect-neutral description. The
// admin builds its pages from it; anything that must check identifiers
// from a request against the schema can use it too.
//
// Only the current schema (PostgreSQL) or database (MySQL) is read.
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

// Kind is a column's type family, which decides how a value is parsed,
// bound, shown and edited.
type Kind int

// Column kinds.
const (
	KindOther    Kind = iota // shown, never edited (arrays, intervals, network types …)
	KindText                 // short text: VARCHAR, CHAR
	KindLongText             // TEXT and friends
	KindInt
	KindFloat
	KindDecimal
	KindBool
	KindDate
	KindDateTime
	KindTime
	KindJSON
	KindUUID
	KindEnum
	KindBinary
)

var kindNames = [...]string{"other", "text", "long text", "integer", "float", "decimal", "boolean", "date", "datetime", "time", "json", "uuid", "enum", "binary"}

// String names the kind ("integer", "long text", …).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is one column of a table.
type Column struct {
	Name string
	// Type is the type as the database reports it, e.g. "character varying(200)".
	Type string
	Kind Kind
	// Bits is an integer column's size (8, 16, 24, 32 or 64) or a float
	// column's (32 or 64; 0 when unknown); Unsigned is MySQL's flag.
	Bits     int
	Unsigned bool
	// MaxLength is a text column's declared length in characters (0: none).
	MaxLength int
	Nullable  bool
	// Default is the default's SQL expression ("" when there is none).
	// DefaultLiteral is set when that expression is a plain value, and
	// DefaultValue then holds the value as text.
	Default        string
	DefaultLiteral bool
	DefaultValue   string
	// Auto is set for identity, serial and auto-increment columns.
	Auto bool
	// Generated is set for computed columns, which cannot be written.
	Generated bool
	// Enum lists the allowed values of an enum column.
	Enum []string
}

// HasDefault reports whether the database fills the column when an insert
// leaves it out.
func (c *Column) HasDefault() bool { return c.Default != "" || c.Auto || c.Generated }

// ForeignKey is a foreign key from Columns to RefColumns of RefTable.
type ForeignKey struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	// OnDelete is CASCADE, SET NULL, SET DEFAULT, RESTRICT or NO ACTION.
	OnDelete string
}

// Index is an index over plain columns (expression and partial indexes
// are left out).
type Index struct {
	Name    string
	Columns []string
	Unique  bool
	Primary bool
	// Search marks a search index, which the rows engine's search reads
	// (SQLite: an FTS5 trigram table named Name).
	Search bool `json:",omitempty"`
}

// SearchIndex returns the table's search index over every one of cols,
// if it has one.
func (t *Table) SearchIndex(cols []string) (Index, bool) {
	for _, ix := range t.Indexes {
		if ix.Search && !slices.ContainsFunc(cols, func(c string) bool { return !slices.Contains(ix.Columns, c) }) {
			return ix, true
		}
	}
	return Index{}, false
}

// Table is one base table.
type Table struct {
	Name        string
	Columns     []*Column
	PrimaryKey  []string
	ForeignKeys []ForeignKey
	Indexes     []Index
	// RowEstimate is the database's estimate of the row count, or -1 when
	// it keeps none (SQLite) or has not gathered one yet.
	RowEstimate int64
	// View is set for a view (Schema.Views): it has columns and no keys.
	View bool `json:",omitempty"`
}

// Column returns the named column.
func (t *Table) Column(name string) (*Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// ForeignKeyOn returns the single-column foreign key on column, if any.
func (t *Table) ForeignKeyOn(column string) (ForeignKey, bool) {
	for _, fk := range t.ForeignKeys {
		if len(fk.Columns) == 1 && fk.Columns[0] == column {
			return fk, true
		}
	}
	return ForeignKey{}, false
}

// UniqueKeys returns the column sets that identify a row: the primary key
// and every unique index.
func (t *Table) UniqueKeys() [][]string {
	var out [][]string
	if len(t.PrimaryKey) > 0 {
		out = append(out, t.PrimaryKey)
	}
	for _, ix := range t.Indexes {
		if ix.Unique && !ix.Primary && !slices.Equal(ix.Columns, t.PrimaryKey) {
			out = append(out, ix.Columns)
		}
	}
	return out
}

// Reference is a foreign key of Table pointing at another table.
type Reference struct {
	Table string
	FK    ForeignKey
}

// Schema is every base table of a database, sorted by name.
type Schema struct {
	Dialect dialects.Name
	Tables  []*Table
	// Views are the database's views, sorted by name, as tables with
	// View set and only columns.
	Views []*Table
}

// View returns the named view.
func (s *Schema) View(name string) (*Table, bool) {
	i, ok := slices.BinarySearchFunc(s.Views, name, func(t *Table, n string) int { return strings.Compare(t.Name, n) })
	if !ok {
		return nil, false
	}
	return s.Views[i], true
}

// Table returns the named table.
func (s *Schema) Table(name string) (*Table, bool) {
	i, ok := slices.BinarySearchFunc(s.Tables, name, func(t *Table, n string) int { return strings.Compare(t.Name, n) })
	if !ok {
		return nil, false
	}
	return s.Tables[i], true
}

// ReferencesTo returns the foreign keys, in any table, that point at table.
func (s *Schema) ReferencesTo(table string) []Reference {
	var out []Reference
	for _, t := range s.Tables {
		for _, fk := range t.ForeignKeys {
			if fk.RefTable == table {
				out = append(out, Reference{Table: t.Name, FK: fk})
			}
		}
	}
	return out
}

// Load reads the schema of the database behind h: a *framework.Database,
// or a *framework.Tx to read it inside a transaction.
func Load(ctx context.Context, h dialects.Handle) (*Schema, error) {
	db, d := h.Handle()
	rows, err := readCatalog(ctx, db, d)
	if err != nil {
		return nil, fmt.Errorf("introspect %s: %w", d.Name(), err)
	}
	s := build(rows)
	s.Dialect = d.Name()
	return s, nil
}

// Estimate returns the database's current estimate of table's row count,
// or -1 when it keeps none (SQLite) or has not gathered one yet. It costs
// one catalog lookup, not a count.
func Estimate(ctx context.Context, db queries.DBTX, d dialects.Dialect, table string) (int64, error) {
	n, err := d.RowEstimate(ctx, db, table)
	if err != nil {
		return -1, fmt.Errorf("introspect: estimate %s: %w", table, err)
	}
	return n, nil
}
