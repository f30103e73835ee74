package introspect

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/quarry-go/quarry/queries"
)

var jsonValidRe = regexp.MustCompile("(?i)^json_valid\\(`([^`]+)`\\)$")

func loadMySQL(ctx context.Context, db queries.DBTX) (*Schema, error) {
	b := newBuilder()
	err := queryRows(ctx, db, `
SELECT table_name, COALESCE(table_rows, -1) FROM information_schema.tables
WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`, func(scan func(...any) error) error {
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
	// MariaDB stores JSON as LONGTEXT with a json_valid check named after
	// the column; MySQL 8 has a native type (and no table_name here, so the
	// query fails there and nothing is needed).
	jsonCols := map[[2]string]bool{}
	_ = queryRows(ctx, db, `SELECT table_name, check_clause FROM information_schema.check_constraints WHERE constraint_schema = DATABASE()`,
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
	err = queryRows(ctx, db, `
SELECT table_name, column_name, column_type, data_type, is_nullable = 'YES', column_default, extra,
       COALESCE(character_maximum_length, 0)
FROM information_schema.columns WHERE table_schema = DATABASE()
ORDER BY table_name, ordinal_position`, func(scan func(...any) error) error {
		var table, dataType, extra string
		var def sql.NullString
		c := &Column{}
		if err := scan(&table, &c.Name, &c.Type, &dataType, &c.Nullable, &def, &extra, &c.MaxLength); err != nil {
			return err
		}
		t, ok := b.tables[table]
		if !ok {
			return nil
		}
		extra = strings.ToLower(extra)
		c.Auto = strings.Contains(extra, "auto_increment")
		c.Generated = strings.Contains(extra, "virtual") || strings.Contains(extra, "stored") || strings.Contains(extra, "persistent")
		c.Kind, c.Bits = mysqlKind(dataType, c.Type)
		c.Unsigned = strings.Contains(c.Type, "unsigned")
		if c.Kind == KindLongText && jsonCols[[2]string{table, c.Name}] {
			c.Kind = KindJSON
		}
		if c.Kind == KindEnum {
			c.Enum = parseMySQLEnum(c.Type)
		}
		if c.Kind != KindText && c.Kind != KindEnum {
			c.MaxLength = 0
		}
		if def.Valid && !(def.String == "NULL" && c.Nullable) && !c.Generated {
			c.Default = def.String
			switch {
			case strings.Contains(extra, "default_generated"):
				// MySQL 8: an expression.
			case strings.HasPrefix(def.String, "'"): // MariaDB quotes literals
				c.DefaultValue, c.DefaultLiteral = literalDefault(def.String)
			case looksLikeExpression(def.String):
			default: // MySQL 8 reports literals unquoted
				c.DefaultValue, c.DefaultLiteral = def.String, true
			}
			if c.Kind == KindBool && c.DefaultLiteral {
				c.DefaultValue = map[string]string{"0": "false", "1": "true"}[c.DefaultValue]
				c.DefaultLiteral = c.DefaultValue != ""
			}
		}
		t.Columns = append(t.Columns, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	err = queryRows(ctx, db, `
SELECT table_name, index_name, non_unique = 0, column_name
FROM information_schema.statistics WHERE table_schema = DATABASE()
ORDER BY table_name, index_name = 'PRIMARY' DESC, index_name, seq_in_index`, func(scan func(...any) error) error {
		var table, name string
		var col sql.NullString
		var unique bool
		if err := scan(&table, &name, &unique, &col); err != nil {
			return err
		}
		if !col.Valid { // functional index part
			return nil
		}
		b.addIndexColumn(table, name, col.String, unique, name == "PRIMARY")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	err = queryRows(ctx, db, `
SELECT k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, k.referenced_column_name, r.delete_rule
FROM information_schema.key_column_usage k
JOIN information_schema.referential_constraints r
  ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL
ORDER BY k.table_name, k.constraint_name, k.ordinal_position`, b.scanFK)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	return b.schema(), nil
}

func looksLikeExpression(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "(") || strings.HasPrefix(l, "current_") || strings.HasPrefix(l, "_utf8")
}

func mysqlKind(dataType, columnType string) (Kind, int) {
	switch strings.ToLower(dataType) {
	case "tinyint":
		if strings.HasPrefix(strings.ToLower(columnType), "tinyint(1)") {
			return KindBool, 0
		}
		return KindInt, 8
	case "smallint", "year":
		return KindInt, 16
	case "mediumint":
		return KindInt, 24
	case "int", "integer":
		return KindInt, 32
	case "bigint":
		return KindInt, 64
	case "decimal", "numeric":
		return KindDecimal, 0
	case "float":
		return KindFloat, 32
	case "double", "real":
		return KindFloat, 64
	case "varchar", "char":
		return KindText, 0
	case "text", "tinytext", "mediumtext", "longtext":
		return KindLongText, 0
	case "date":
		return KindDate, 0
	case "datetime", "timestamp":
		return KindDateTime, 0
	case "time":
		return KindTime, 0
	case "json":
		return KindJSON, 0
	case "enum":
		return KindEnum, 0
	case "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary":
		return KindBinary, 0
	case "uuid": // MariaDB 10.7+
		return KindUUID, 0
	}
	return KindOther, 0
}

// parseMySQLEnum reads the values of "enum('a','b”c')".
func parseMySQLEnum(typ string) []string {
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
