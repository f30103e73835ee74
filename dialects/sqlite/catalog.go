package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

var (
	lengthRe       = regexp.MustCompile(`\(\s*(\d+)`)
	withoutRowidRe = regexp.MustCompile(`(?i)\)\s*WITHOUT\s+ROWID`)
)

// catalogTable is a table of sqlite_master and whether it is WITHOUT ROWID.
type catalogTable struct {
	name         string
	withoutRowid bool
}

// catalogTableList lists the tables of sqlite_master, virtual ones
// included, but not SQLite's internal ones, the shadow tables that hold a
// virtual table's data, nor search indexes (SearchIndexes), which are a
// table's index rather than a table.
func catalogTableList(ctx context.Context, db queries.DBTX) ([]catalogTable, error) {
	var out []catalogTable
	err := kit.EachRow(ctx, db, `SELECT m.name, m.sql FROM sqlite_master m JOIN pragma_table_list l ON l.schema = 'main' AND l.name = m.name
		WHERE m.type = 'table' AND l.type <> 'shadow' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY m.name`,
		func(scan func(...any) error) error {
			var t catalogTable
			var ddl string
			if err := scan(&t.name, &ddl); err != nil {
				return err
			}
			if searchIndexOf(ddl) != "" {
				return nil
			}
			t.withoutRowid = withoutRowidRe.MatchString(ddl)
			out = append(out, t)
			return nil
		})
	return out, err
}

// catalogSearchIndexes lists the search indexes' columns (SearchIndexes),
// as CatalogIndexes rows of the tables they index.
func catalogSearchIndexes(ctx context.Context, db queries.DBTX) ([]dialects.CatalogIndexColumn, error) {
	type fts struct{ name, table string }
	var list []fts
	err := kit.EachRow(ctx, db, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`,
		func(scan func(...any) error) error {
			var f fts
			var ddl string
			if err := scan(&f.name, &ddl); err != nil {
				return err
			}
			if f.table = searchIndexOf(ddl); f.table != "" {
				list = append(list, f)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	var out []dialects.CatalogIndexColumn
	for _, f := range list {
		cols, err := kit.QueryStrings(ctx, db, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, f.name)
		if err != nil {
			return nil, fmt.Errorf("search index %s: %w", f.name, err)
		}
		for _, c := range cols {
			out = append(out, dialects.CatalogIndexColumn{Table: f.table, Index: f.name, Column: c, Search: true})
		}
	}
	return out, nil
}

// CatalogViews lists the views of sqlite_master.
func (Dialect) CatalogViews(ctx context.Context, db queries.DBTX) ([]dialects.CatalogTable, error) {
	return kit.QueryAll(ctx, db, `SELECT name, -1 FROM sqlite_master WHERE type = 'view' ORDER BY name`,
		func(t *dialects.CatalogTable) []any { return []any{&t.Name, &t.RowEstimate} })
}

// CatalogTables lists the tables of sqlite_master. SQLite keeps no row
// estimates: each is -1.
func (Dialect) CatalogTables(ctx context.Context, db queries.DBTX) ([]dialects.CatalogTable, error) {
	tables, err := catalogTableList(ctx, db)
	if err != nil {
		return nil, err
	}
	out := make([]dialects.CatalogTable, len(tables))
	for i, t := range tables {
		out[i] = dialects.CatalogTable{Name: t.name, RowEstimate: -1}
	}
	return out, nil
}

// CatalogColumns reads PRAGMA table_xinfo table by table, then view by
// view, leaving out the hidden columns of virtual tables. The type is mapped by SQLite's
// affinity rules refined by the declared name; a primary key column is
// NOT NULL whatever it declares; the one INTEGER primary key column of a
// rowid table, an alias of the rowid, is Auto. A NULL default is none.
func (Dialect) CatalogColumns(ctx context.Context, db queries.DBTX) ([]dialects.CatalogColumn, error) {
	tables, err := catalogTableList(ctx, db)
	if err != nil {
		return nil, err
	}
	views, err := Dialect{}.CatalogViews(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		tables = append(tables, catalogTable{name: v.Name, withoutRowid: true})
	}
	var out []dialects.CatalogColumn
	for _, t := range tables {
		pkCol, pkCols := -1, 0
		err := kit.EachRow(ctx, db, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`,
			func(scan func(...any) error) error {
				c := dialects.CatalogColumn{Table: t.name}
				var notNull, pkPos, hidden int
				var def sql.NullString
				if err := scan(&c.Name, &c.Type, &notNull, &def, &pkPos, &hidden); err != nil {
					return err
				}
				if hidden == 1 { // a virtual table's hidden column
					return nil
				}
				c.Nullable = notNull == 0 && pkPos == 0
				c.Generated = hidden == 2 || hidden == 3
				c.TypeName = catalogType(c.Type)
				if c.TypeName == dialects.TypeVarchar {
					if m := lengthRe.FindStringSubmatch(c.Type); m != nil {
						c.MaxLength, _ = strconv.Atoi(m[1])
					}
				}
				if def.Valid && strings.ToUpper(def.String) != "NULL" {
					c.Default = def.String
				}
				if pkPos > 0 {
					pkCol, pkCols = len(out), pkCols+1
				}
				out = append(out, c)
				return nil
			}, t.name)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name, err)
		}
		if pkCols == 1 && !t.withoutRowid && strings.EqualFold(out[pkCol].Type, "INTEGER") {
			out[pkCol].Auto = true // an alias of the rowid
		}
	}
	return out, nil
}

// catalogType follows SQLite's affinity rules, refined by the declared
// name. Every integer is 64 bits; the size of a float is unknown.
func catalogType(declared string) dialects.CatalogType {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "BOOL"):
		return dialects.TypeBoolean
	case strings.Contains(t, "INT"):
		return dialects.TypeBigInt
	case strings.Contains(t, "JSON"):
		return dialects.TypeJSON
	case strings.Contains(t, "UUID"):
		return dialects.TypeUUID
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"):
		return dialects.TypeVarchar
	case strings.Contains(t, "TEXT"):
		return dialects.TypeText
	case strings.Contains(t, "BLOB"), t == "":
		return dialects.TypeBinary
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return dialects.TypeFloat
	case strings.Contains(t, "DATETIME"), strings.Contains(t, "TIMESTAMP"):
		return dialects.TypeTimestamp
	case strings.Contains(t, "DATE"):
		return dialects.TypeDate
	case strings.Contains(t, "TIME"):
		return dialects.TypeTime
	case strings.Contains(t, "DEC"), strings.Contains(t, "NUM"):
		return dialects.TypeDecimal
	}
	return dialects.TypeOther
}

// CatalogIndexes reports each table's primary key, from PRAGMA
// table_xinfo, as an index named "primary" (a rowid table's INTEGER
// PRIMARY KEY has no index of its own), then the other indexes of PRAGMA
// index_list by name, without partial and expression indexes.
func (Dialect) CatalogIndexes(ctx context.Context, db queries.DBTX) ([]dialects.CatalogIndexColumn, error) {
	tables, err := catalogTableList(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []dialects.CatalogIndexColumn
	for _, t := range tables {
		pk, err := kit.QueryStrings(ctx, db, `SELECT name FROM pragma_table_xinfo(?) WHERE pk > 0 AND hidden <> 1 ORDER BY pk`, t.name)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name, err)
		}
		for _, col := range pk {
			out = append(out, dialects.CatalogIndexColumn{Table: t.name, Index: "primary", Column: col, Unique: true, Primary: true})
		}
		type index struct {
			name   string
			unique bool
		}
		var idx []index
		err = kit.EachRow(ctx, db, `SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name`, func(scan func(...any) error) error {
			var i index
			var origin string
			var partial int
			if err := scan(&i.name, &i.unique, &origin, &partial); err != nil {
				return err
			}
			if partial == 0 && origin != "pk" {
				idx = append(idx, i)
			}
			return nil
		}, t.name)
		if err != nil {
			return nil, fmt.Errorf("indexes of %s: %w", t.name, err)
		}
		for _, i := range idx {
			var cols []sql.NullString
			err := kit.EachRow(ctx, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, func(scan func(...any) error) error {
				var col sql.NullString
				if err := scan(&col); err != nil {
					return err
				}
				cols = append(cols, col)
				return nil
			}, i.name)
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", i.name, err)
			}
			if slices.ContainsFunc(cols, func(c sql.NullString) bool { return !c.Valid }) {
				continue // an expression index
			}
			for _, col := range cols {
				out = append(out, dialects.CatalogIndexColumn{Table: t.name, Index: i.name, Column: col.String, Unique: i.unique})
			}
		}
	}
	search, err := catalogSearchIndexes(ctx, db)
	return append(out, search...), err
}

// CatalogForeignKeys reads PRAGMA foreign_key_list table by table and
// names each key table_fkN after its id. A key that names no columns to
// refer to has RefColumn "": it refers to the primary key.
func (Dialect) CatalogForeignKeys(ctx context.Context, db queries.DBTX) ([]dialects.CatalogForeignKeyColumn, error) {
	tables, err := catalogTableList(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []dialects.CatalogForeignKeyColumn
	for _, t := range tables {
		err := kit.EachRow(ctx, db, `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, func(scan func(...any) error) error {
			var id int
			var to sql.NullString
			r := dialects.CatalogForeignKeyColumn{Table: t.name}
			if err := scan(&id, &r.RefTable, &r.Column, &to, &r.OnDelete); err != nil {
				return err
			}
			r.Constraint, r.RefColumn = t.name+"_fk"+strconv.Itoa(id), to.String
			out = append(out, r)
			return nil
		}, t.name)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", t.name, err)
		}
	}
	return out, nil
}

// RowEstimate is -1: SQLite keeps no estimate.
func (Dialect) RowEstimate(context.Context, queries.DBTX, string) (int64, error) { return -1, nil }
