package mysql

import (
	"context"
	"database/sql"
	"regexp"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// CatalogTables lists the base tables of the current database, with
// information_schema's table_rows as the estimate.
func (Dialect) CatalogTables(ctx context.Context, db queries.DBTX) ([]dialects.CatalogTable, error) {
	return kit.QueryAll(ctx, db, `
SELECT table_name, COALESCE(table_rows, -1) FROM information_schema.tables
WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`,
		func(t *dialects.CatalogTable) []any { return []any{&t.Name, &t.RowEstimate} })
}

// CatalogViews lists the views of the current database.
func (Dialect) CatalogViews(ctx context.Context, db queries.DBTX) ([]dialects.CatalogTable, error) {
	return kit.QueryAll(ctx, db, `
SELECT table_name, -1 FROM information_schema.tables
WHERE table_schema = DATABASE() AND table_type = 'VIEW' ORDER BY table_name`,
		func(t *dialects.CatalogTable) []any { return []any{&t.Name, &t.RowEstimate} })
}

var jsonValidRe = regexp.MustCompile("(?i)^json_valid\\(`([^`]+)`\\)$")

// CatalogColumns reads information_schema.columns. TINYINT(1) is a
// boolean; MariaDB's JSON, a LONGTEXT with a json_valid check named after
// the column, is JSON; an enum's values are read from its column type.
// A literal default is quoted by MariaDB and bare on MySQL 8, which marks
// expressions DEFAULT_GENERATED.
func (Dialect) CatalogColumns(ctx context.Context, db queries.DBTX) ([]dialects.CatalogColumn, error) {
	// MySQL 8 has a native JSON type (and no table_name here, so the
	// query fails there and nothing is needed).
	jsonCols := map[[2]string]bool{}
	_ = kit.EachRow(ctx, db, `SELECT table_name, check_clause FROM information_schema.check_constraints WHERE constraint_schema = DATABASE()`,
		func(scan func(...any) error) error {
			var table, clause string
			if err := scan(&table, &clause); err != nil {
				return err
			}
			if m := jsonValidRe.FindStringSubmatch(strings.TrimSpace(clause)); m != nil {
				jsonCols[[2]string{table, m[1]}] = true
			}
			return nil
		})
	var out []dialects.CatalogColumn
	err := kit.EachRow(ctx, db, `
SELECT table_name, column_name, column_type, data_type, is_nullable = 'YES', column_default, extra,
       COALESCE(character_maximum_length, 0)
FROM information_schema.columns WHERE table_schema = DATABASE()
ORDER BY table_name, ordinal_position`, func(scan func(...any) error) error {
		var c dialects.CatalogColumn
		var dataType, extra string
		var def sql.NullString
		var maxLength int
		if err := scan(&c.Table, &c.Name, &c.Type, &dataType, &c.Nullable, &def, &extra, &maxLength); err != nil {
			return err
		}
		extra = strings.ToLower(extra)
		c.Auto = strings.Contains(extra, "auto_increment")
		c.Generated = strings.Contains(extra, "virtual") || strings.Contains(extra, "stored") || strings.Contains(extra, "persistent")
		c.TypeName = catalogType(dataType, c.Type)
		c.Unsigned = strings.Contains(c.Type, "unsigned")
		if c.TypeName == dialects.TypeText && jsonCols[[2]string{c.Table, c.Name}] {
			c.TypeName = dialects.TypeJSON
		}
		if c.TypeName == dialects.TypeEnum {
			c.Enum = parseEnum(c.Type)
		}
		if c.TypeName == dialects.TypeVarchar || c.TypeName == dialects.TypeEnum {
			c.MaxLength = maxLength
		}
		if def.Valid && !(def.String == "NULL" && c.Nullable) {
			c.Default = def.String
			switch {
			case strings.Contains(extra, "default_generated"): // MySQL 8: an expression
				c.DefaultForm = dialects.DefaultExpression
			case strings.HasPrefix(def.String, "'"): // MariaDB quotes literals
				c.DefaultForm = dialects.DefaultSQL
			case looksLikeExpression(def.String):
				c.DefaultForm = dialects.DefaultExpression
			default: // numbers, and MySQL 8's unquoted literals
				c.DefaultForm = dialects.DefaultBare
			}
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func looksLikeExpression(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "(") || strings.HasPrefix(l, "current_") || strings.HasPrefix(l, "_utf8")
}

// catalogType maps information_schema's data_type (and, for TINYINT(1),
// the column type) onto the shared type names.
func catalogType(dataType, columnType string) dialects.CatalogType {
	switch strings.ToLower(dataType) {
	case "tinyint":
		if strings.HasPrefix(strings.ToLower(columnType), "tinyint(1)") {
			return dialects.TypeBoolean
		}
		return dialects.TypeTinyInt
	case "smallint", "year":
		return dialects.TypeSmallInt
	case "mediumint":
		return dialects.TypeMediumInt
	case "int", "integer":
		return dialects.TypeInteger
	case "bigint":
		return dialects.TypeBigInt
	case "decimal", "numeric":
		return dialects.TypeDecimal
	case "float":
		return dialects.TypeReal
	case "double", "real":
		return dialects.TypeDouble
	case "varchar", "char":
		return dialects.TypeVarchar
	case "text", "tinytext", "mediumtext", "longtext":
		return dialects.TypeText
	case "date":
		return dialects.TypeDate
	case "datetime", "timestamp":
		return dialects.TypeTimestamp
	case "time":
		return dialects.TypeTime
	case "json":
		return dialects.TypeJSON
	case "enum":
		return dialects.TypeEnum
	case "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary":
		return dialects.TypeBinary
	case "uuid": // MariaDB 10.7+
		return dialects.TypeUUID
	}
	return dialects.TypeOther
}

// parseEnum reads the values of "enum('a','b”c')".
func parseEnum(typ string) []string {
	open, end := strings.Index(typ, "("), strings.LastIndex(typ, ")")
	if open < 0 || end < open {
		return nil
	}
	var out []string
	s := typ[open+1 : end]
	for len(s) > 0 {
		if s[0] != '\'' {
			s = s[1:]
			continue
		}
		var v strings.Builder
		i := 1
		for i < len(s) {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					v.WriteByte('\'')
					i += 2
					continue
				}
				break
			}
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			v.WriteByte(s[i])
			i++
		}
		out = append(out, v.String())
		if i+1 > len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}

// CatalogIndexes reads information_schema.statistics, PRIMARY first, then
// by index name. The functional parts of an index (MySQL 8) are left out.
func (Dialect) CatalogIndexes(ctx context.Context, db queries.DBTX) ([]dialects.CatalogIndexColumn, error) {
	var out []dialects.CatalogIndexColumn
	err := kit.EachRow(ctx, db, `
SELECT table_name, index_name, non_unique = 0, column_name
FROM information_schema.statistics WHERE table_schema = DATABASE()
ORDER BY table_name, index_name = 'PRIMARY' DESC, index_name, seq_in_index`, func(scan func(...any) error) error {
		var r dialects.CatalogIndexColumn
		var col sql.NullString
		if err := scan(&r.Table, &r.Index, &r.Unique, &col); err != nil {
			return err
		}
		if !col.Valid { // a functional index part
			return nil
		}
		r.Column, r.Primary = col.String, r.Index == "PRIMARY"
		out = append(out, r)
		return nil
	})
	return out, err
}

// CatalogForeignKeys reads information_schema.key_column_usage and
// referential_constraints.
func (Dialect) CatalogForeignKeys(ctx context.Context, db queries.DBTX) ([]dialects.CatalogForeignKeyColumn, error) {
	return kit.QueryAll(ctx, db, `
SELECT k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, k.referenced_column_name, r.delete_rule
FROM information_schema.key_column_usage k
JOIN information_schema.referential_constraints r
  ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL
ORDER BY k.table_name, k.constraint_name, k.ordinal_position`, func(r *dialects.CatalogForeignKeyColumn) []any {
		return []any{&r.Table, &r.Constraint, &r.Column, &r.RefTable, &r.RefColumn, &r.OnDelete}
	})
}

// RowEstimate is information_schema's table_rows (InnoDB's estimate).
func (Dialect) RowEstimate(ctx context.Context, db queries.DBTX, table string) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COALESCE(table_rows, -1) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`, table).Scan(&n)
	if err != nil {
		return -1, err
	}
	return n, nil
}
