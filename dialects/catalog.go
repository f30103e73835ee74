package dialects

import (
	"context"

	"github.com/quarry-go/quarry/queries"
)

// Catalog reads a database's catalog — its base tables, their columns,
// indexes and foreign keys — as plain rows of one shape for every
// database, which package introspect builds its schema from in one shared
// way. Each dialect answers with its own catalog queries
// (information_schema, pg_catalog, sqlite_master and PRAGMAs) and decodes
// only what its catalog alone can say: its type names into a
// [CatalogType], its way of writing defaults, which columns fill
// themselves.
//
// Each method reads the whole current schema (PostgreSQL) or database
// (MySQL, SQLite) behind db, a pool or a transaction, and returns its rows
// grouped by table.
type Catalog interface {
	// CatalogTables lists the base tables: on PostgreSQL also partitioned
	// tables but not their partitions; on SQLite also virtual tables, but
	// not their shadow tables, the search indexes (FTS5 tables of
	// SchemaTools.SearchIndexes) nor SQLite's internal sqlite_ ones.
	CatalogTables(ctx context.Context, db queries.DBTX) ([]CatalogTable, error)
	// CatalogViews lists the views (RowEstimate -1). CatalogColumns
	// lists their columns too.
	CatalogViews(ctx context.Context, db queries.DBTX) ([]CatalogTable, error)
	// CatalogColumns lists the columns, table by table in declaration
	// order, and those of the views. It may list those of partitions too:
	// what belongs to no table CatalogTables or CatalogViews lists is
	// ignored.
	CatalogColumns(ctx context.Context, db queries.DBTX) ([]CatalogColumn, error)
	// CatalogIndexes lists the key columns of the indexes over plain
	// columns, primary key included, one row per column in key order, the
	// rows of one index together and each table's primary key first.
	// Partial and expression indexes are left out, and so are the
	// non-key (INCLUDE) columns of an index. SQLite, whose rowid tables
	// have no index behind an INTEGER PRIMARY KEY, reports every primary
	// key as an index named "primary", and its search indexes as indexes
	// with Search set.
	CatalogIndexes(ctx context.Context, db queries.DBTX) ([]CatalogIndexColumn, error)
	// CatalogForeignKeys lists the foreign keys, one row per column pair
	// in key order, the rows of one key together. SQLite, whose foreign
	// keys have no names, names them table_fkN.
	CatalogForeignKeys(ctx context.Context, db queries.DBTX) ([]CatalogForeignKeyColumn, error)
	// RowEstimate returns the database's current estimate of table's row
	// count, or -1 when it keeps none (SQLite) or has not gathered one
	// yet. It costs one catalog lookup, not a count.
	RowEstimate(ctx context.Context, db queries.DBTX, table string) (int64, error)
}

// CatalogTable is one row of [Catalog.CatalogTables].
type CatalogTable struct {
	Name string
	// RowEstimate is as [Catalog.RowEstimate] returns it.
	RowEstimate int64
}

// CatalogType is a column's type named in words every dialect shares: the
// dialect maps its own type names (and, on SQLite, the affinity rules
// applied to the declared type) onto these, and package introspect maps
// these onto its kinds. A type none of them fits is TypeOther.
type CatalogType string

// The catalog types. The integer and floating-point ones say the size.
const (
	TypeOther     CatalogType = ""                 // shown, never edited: arrays, intervals, bit strings, sets …
	TypeTinyInt   CatalogType = "tinyint"          // 8-bit integer
	TypeSmallInt  CatalogType = "smallint"         // 16-bit integer
	TypeMediumInt CatalogType = "mediumint"        // 24-bit integer
	TypeInteger   CatalogType = "integer"          // 32-bit integer
	TypeBigInt    CatalogType = "bigint"           // 64-bit integer (every SQLite integer)
	TypeDecimal   CatalogType = "decimal"          // exact decimal
	TypeReal      CatalogType = "real"             // 32-bit floating point
	TypeDouble    CatalogType = "double precision" // 64-bit floating point
	TypeFloat     CatalogType = "float"            // floating point of unknown size (SQLite)
	TypeBoolean   CatalogType = "boolean"          // also MySQL's TINYINT(1)
	TypeVarchar   CatalogType = "varchar"          // short text: VARCHAR, CHAR
	TypeText      CatalogType = "text"             // long text: TEXT and its sizes
	TypeDate      CatalogType = "date"
	TypeTimestamp CatalogType = "timestamp" // date and time, with or without a zone
	TypeTime      CatalogType = "time"      // time of day without a zone
	TypeJSON      CatalogType = "json"      // also MariaDB's LONGTEXT checked by json_valid
	TypeUUID      CatalogType = "uuid"
	TypeEnum      CatalogType = "enum" // its values in CatalogColumn.Enum
	TypeBinary    CatalogType = "binary"
)

// DefaultForm says how a [CatalogColumn]'s Default is written, so that a
// plain value can be told from an expression.
type DefaultForm uint8

// The forms of a default.
const (
	// DefaultSQL: Default is SQL as the column definition would have it;
	// a quoted string (cast or not: 'a'::text), a number or TRUE/FALSE is
	// a plain value, anything else an expression.
	DefaultSQL DefaultForm = iota
	// DefaultExpression: Default is an expression, whatever it looks like.
	DefaultExpression
	// DefaultBare: Default is a plain value written as it is, unquoted
	// (MySQL 8 reports literal defaults so).
	DefaultBare
)

// CatalogColumn is one row of [Catalog.CatalogColumns].
type CatalogColumn struct {
	Table string
	Name  string
	// Type is the type as the database reports it, e.g.
	// "character varying(200)" or "bigint(20) unsigned".
	Type string
	// TypeName is the type in the shared words.
	TypeName CatalogType
	// Unsigned is MySQL's flag on numbers.
	Unsigned bool
	// MaxLength is the declared length of a text type in characters (0:
	// none), as the database reports it.
	MaxLength int
	Nullable  bool
	// Default is the default as the database reports it, written in
	// DefaultForm: "" when there is none (SQLite's DEFAULT NULL, and a
	// nullable MySQL column's, is none). A generated column's is ignored.
	Default     string
	DefaultForm DefaultForm
	// Auto is set for identity, serial and auto-increment columns, and
	// SQLite's aliases of the rowid.
	Auto bool
	// Generated is set for computed columns, which cannot be written.
	Generated bool
	// Enum lists the values of an enum column, in order.
	Enum []string
}

// CatalogIndexColumn is one row of [Catalog.CatalogIndexes]: one column
// of an index's key.
type CatalogIndexColumn struct {
	Table  string
	Index  string
	Column string
	Unique bool
	// Primary is set for the primary key's index.
	Primary bool
	// Search is set for a search index (SQLite: an FTS5 trigram table
	// over the table's rows, named Index), which answers the rows
	// engine's substring search.
	Search bool
}

// CatalogForeignKeyColumn is one row of [Catalog.CatalogForeignKeys]: one
// column of a foreign key and the column it refers to.
type CatalogForeignKeyColumn struct {
	Table      string
	Constraint string
	Column     string
	RefTable   string
	// RefColumn is "" when the key names no columns to refer to (SQLite):
	// it refers to RefTable's primary key.
	RefColumn string
	// OnDelete is the ON DELETE action: CASCADE, SET NULL, SET DEFAULT,
	// RESTRICT or NO ACTION.
	OnDelete string
}
