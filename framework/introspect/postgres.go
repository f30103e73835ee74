package introspect

import (
	"context"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/queries"
)

func loadPostgres(ctx context.Context, db queries.DBTX) (*Schema, error) {
	b := newBuilder()
	err := queryRows(ctx, db, `
SELECT c.relname, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname`, func(scan func(...any) error) error {
		var name string
		var est int64
		if err := scan(&name, &est); err != nil {
			return err
		}
		b.add(name, est)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	enums := map[string][]string{}
	err = queryRows(ctx, db, `
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
		return nil, fmt.Errorf("enums: %w", err)
	}
	err = queryRows(ctx, db, `
SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod), c.data_type, c.udt_name,
       c.is_nullable = 'YES', COALESCE(c.column_default, ''), c.is_identity = 'YES', c.is_generated = 'ALWAYS',
       COALESCE(c.character_maximum_length, 0)
FROM information_schema.columns c
JOIN pg_class t ON t.relname = c.table_name
JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = c.table_schema
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = c.column_name
WHERE c.table_schema = current_schema()
ORDER BY c.table_name, c.ordinal_position`, func(scan func(...any) error) error {
		var table, dataType, udt string
		c := &Column{}
		if err := scan(&table, &c.Name, &c.Type, &dataType, &udt, &c.Nullable, &c.Default, &c.Auto, &c.Generated, &c.MaxLength); err != nil {
			return err
		}
		t, ok := b.tables[table]
		if !ok {
			return nil // a view
		}
		if strings.HasPrefix(c.Default, "nextval(") {
			c.Auto = true
		}
		if c.Generated {
			c.Default = ""
		}
		c.Kind, c.Bits = postgresKind(dataType)
		if vals, ok := enums[udt]; ok && dataType == "USER-DEFINED" {
			c.Kind, c.Enum = KindEnum, vals
		}
		if !c.Auto {
			c.DefaultValue, c.DefaultLiteral = literalDefault(c.Default)
		}
		t.Columns = append(t.Columns, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	err = queryRows(ctx, db, `
SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, a.attname
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND ix.indpred IS NULL AND ix.indexprs IS NULL
  AND k.ord <= ix.indnkeyatts -- INCLUDE columns are not part of the key
ORDER BY t.relname, ix.indisprimary DESC, i.relname, k.ord`, func(scan func(...any) error) error {
		var table, name, col string
		var unique, primary bool
		if err := scan(&table, &name, &unique, &primary, &col); err != nil {
			return err
		}
		b.addIndexColumn(table, name, col, unique, primary)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	err = queryRows(ctx, db, `
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
ORDER BY t.relname, con.conname, k.ord`, b.scanFK)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	return b.schema(), nil
}

func postgresKind(dataType string) (Kind, int) {
	switch dataType {
	case "smallint":
		return KindInt, 16
	case "integer":
		return KindInt, 32
	case "bigint":
		return KindInt, 64
	case "numeric":
		return KindDecimal, 0
	case "real":
		return KindFloat, 32
	case "double precision":
		return KindFloat, 64
	case "boolean":
		return KindBool, 0
	case "character varying", "character":
		return KindText, 0
	case "text":
		return KindLongText, 0
	case "date":
		return KindDate, 0
	case "timestamp with time zone", "timestamp without time zone":
		return KindDateTime, 0
	case "time without time zone":
		return KindTime, 0
	case "json", "jsonb":
		return KindJSON, 0
	case "uuid":
		return KindUUID, 0
	case "bytea":
		return KindBinary, 0
	}
	return KindOther, 0
}
