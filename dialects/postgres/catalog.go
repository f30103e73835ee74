package postgres

import (
	"context"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// CatalogTables lists the ordinary and partitioned tables of the current
// schema, not the partitions, with pg_class.reltuples as the estimate (-1
// before the table's first VACUUM or ANALYZE).
func (Dialect) CatalogTables(ctx context.Context, db queries.DBTX) ([]dialects.CatalogTable, error) {
	return kit.QueryAll(ctx, db, `
SELECT c.relname, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname`, func(t *dialects.CatalogTable) []any { return []any{&t.Name, &t.RowEstimate} })
}

// CatalogViews lists the views of the current schema (not the
// materialized ones, which information_schema.columns leaves out).
func (Dialect) CatalogViews(ctx context.Context, db queries.DBTX) ([]dialects.CatalogTable, error) {
	return kit.QueryAll(ctx, db, `
SELECT c.relname, -1::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'v'
ORDER BY c.relname`, func(t *dialects.CatalogTable) []any { return []any{&t.Name, &t.RowEstimate} })
}

// CatalogColumns reads information_schema.columns, with the type as
// format_type writes it and the labels of enum types from pg_enum. A
// serial column (its default a nextval) is Auto, as an identity column is.
func (Dialect) CatalogColumns(ctx context.Context, db queries.DBTX) ([]dialects.CatalogColumn, error) {
	enums := map[string][]string{}
	err := kit.EachRow(ctx, db, `
SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
ORDER BY t.typname, e.enumsortorder`, func(scan func(...any) error) error {
		var typ, label string
		if err := scan(&typ, &label); err != nil {
			return err
		}
		enums[typ] = append(enums[typ], label)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []dialects.CatalogColumn
	err = kit.EachRow(ctx, db, `
SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod), c.data_type, c.udt_name,
       c.is_nullable = 'YES', COALESCE(c.column_default, ''), c.is_identity = 'YES', c.is_generated = 'ALWAYS',
       COALESCE(c.character_maximum_length, 0)
FROM information_schema.columns c
JOIN pg_class t ON t.relname = c.table_name
JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = c.table_schema
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = c.column_name
WHERE c.table_schema = current_schema()
ORDER BY c.table_name, c.ordinal_position`, func(scan func(...any) error) error {
		var c dialects.CatalogColumn
		var dataType, udt string
		if err := scan(&c.Table, &c.Name, &c.Type, &dataType, &udt, &c.Nullable, &c.Default, &c.Auto, &c.Generated, &c.MaxLength); err != nil {
			return err
		}
		c.Auto = c.Auto || strings.HasPrefix(c.Default, "nextval(")
		c.TypeName = catalogTypes[dataType]
		if vals, ok := enums[udt]; ok && dataType == "USER-DEFINED" {
			c.TypeName, c.Enum = dialects.TypeEnum, vals
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// catalogTypes maps information_schema's data_type (a domain's is its base
// type's) onto the shared type names.
var catalogTypes = map[string]dialects.CatalogType{
	"smallint":                    dialects.TypeSmallInt,
	"integer":                     dialects.TypeInteger,
	"bigint":                      dialects.TypeBigInt,
	"numeric":                     dialects.TypeDecimal,
	"real":                        dialects.TypeReal,
	"double precision":            dialects.TypeDouble,
	"boolean":                     dialects.TypeBoolean,
	"character varying":           dialects.TypeVarchar,
	"character":                   dialects.TypeVarchar,
	"text":                        dialects.TypeText,
	"date":                        dialects.TypeDate,
	"timestamp with time zone":    dialects.TypeTimestamp,
	"timestamp without time zone": dialects.TypeTimestamp,
	"time without time zone":      dialects.TypeTime,
	"json":                        dialects.TypeJSON,
	"jsonb":                       dialects.TypeJSON,
	"uuid":                        dialects.TypeUUID,
	"bytea":                       dialects.TypeBinary,
}

// CatalogIndexes reads pg_index, primary keys first, then by index name.
func (Dialect) CatalogIndexes(ctx context.Context, db queries.DBTX) ([]dialects.CatalogIndexColumn, error) {
	return kit.QueryAll(ctx, db, `
SELECT t.relname, i.relname, a.attname, ix.indisunique, ix.indisprimary
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND ix.indpred IS NULL AND ix.indexprs IS NULL
  AND k.ord <= ix.indnkeyatts -- INCLUDE columns are not part of the key
ORDER BY t.relname, ix.indisprimary DESC, i.relname, k.ord`, func(r *dialects.CatalogIndexColumn) []any {
		return []any{&r.Table, &r.Index, &r.Column, &r.Unique, &r.Primary}
	})
}

// CatalogForeignKeys reads pg_constraint.
func (Dialect) CatalogForeignKeys(ctx context.Context, db queries.DBTX) ([]dialects.CatalogForeignKeyColumn, error) {
	return kit.QueryAll(ctx, db, `
SELECT t.relname, con.conname, a.attname, rt.relname, ra.attname,
       CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_class rt ON rt.oid = con.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(att, ratt, ord)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.att
JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.ratt
WHERE con.contype = 'f' AND n.nspname = current_schema()
ORDER BY t.relname, con.conname, k.ord`, func(r *dialects.CatalogForeignKeyColumn) []any {
		return []any{&r.Table, &r.Constraint, &r.Column, &r.RefTable, &r.RefColumn, &r.OnDelete}
	})
}

// RowEstimate is pg_class.reltuples: -1 before the table's first VACUUM
// or ANALYZE.
func (Dialect) RowEstimate(ctx context.Context, db queries.DBTX, table string) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = $1`, table).Scan(&n)
	if err != nil {
		return -1, err
	}
	return n, nil
}
