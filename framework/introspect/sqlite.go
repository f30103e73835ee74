package introspect

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/queries"
)

var (
	sqliteLengthRe = regexp.MustCompile(`\(\s*(\d+)`)
	withoutRowidRe = regexp.MustCompile(`(?i)\)\s*WITHOUT\s+ROWID`)
)

func loadSQLite(ctx context.Context, db queries.DBTX) (*Schema, error) {
	b := newBuilder()
	withoutRowid := map[string]bool{}
	err := queryRows(ctx, db, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name`,
		func(scan func(...any) error) error {
			var name, ddl string
			if err := scan(&name, &ddl); err != nil {
				return err
			}
			b.add(name, -1)
			withoutRowid[name] = withoutRowidRe.MatchString(ddl)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	for _, name := range b.order {
		t := b.tables[name]
		var pk []struct {
			pos  int
			name string
		}
		err := queryRows(ctx, db, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`,
			func(scan func(...any) error) error {
				c := &Column{}
				var notNull, pkPos, hidden int
				var def sql.NullString
				if err := scan(&c.Name, &c.Type, &notNull, &def, &pkPos, &hidden); err != nil {
					return err
				}
				c.Nullable = notNull == 0 && pkPos == 0
				c.Generated = hidden == 2 || hidden == 3
				if hidden == 1 { // a virtual table's hidden column
					return nil
				}
				c.Kind, c.Bits = sqliteKind(c.Type)
				if c.Kind == KindText {
					if m := sqliteLengthRe.FindStringSubmatch(c.Type); m != nil {
						c.MaxLength, _ = strconv.Atoi(m[1])
					}
				}
				if def.Valid && !c.Generated && strings.ToUpper(def.String) != "NULL" {
					c.Default = def.String
					c.DefaultValue, c.DefaultLiteral = literalDefault(def.String)
					if c.Kind == KindBool && c.DefaultLiteral {
						c.DefaultValue = map[string]string{"0": "false", "1": "true", "true": "true", "false": "false"}[strings.ToLower(c.DefaultValue)]
						c.DefaultLiteral = c.DefaultValue != ""
					}
				}
				if pkPos > 0 {
					pk = append(pk, struct {
						pos  int
						name string
					}{pkPos, c.Name})
				}
				t.Columns = append(t.Columns, c)
				return nil
			}, name)
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", name, err)
		}
		t.PrimaryKey = make([]string, len(pk))
		for _, p := range pk {
			t.PrimaryKey[p.pos-1] = p.name
		}
		if len(pk) == 1 && !withoutRowid[name] {
			if c, _ := t.Column(pk[0].name); strings.EqualFold(c.Type, "INTEGER") {
				c.Auto = true // an alias of the rowid
			}
		}
		if len(pk) > 0 {
			t.Indexes = append(t.Indexes, Index{Name: "primary", Columns: t.PrimaryKey, Unique: true, Primary: true})
		}
		type ix struct {
			name    string
			unique  bool
			primary bool
		}
		var idx []ix
		err = queryRows(ctx, db, `SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name`, func(scan func(...any) error) error {
			var i ix
			var origin string
			var partial int
			if err := scan(&i.name, &i.unique, &origin, &partial); err != nil {
				return err
			}
			if partial == 0 && origin != "pk" {
				idx = append(idx, i)
			}
			return nil
		}, name)
		if err != nil {
			return nil, fmt.Errorf("indexes of %s: %w", name, err)
		}
		for _, i := range idx {
			var cols []string
			expr := false
			err = queryRows(ctx, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, func(scan func(...any) error) error {
				var col sql.NullString
				if err := scan(&col); err != nil {
					return err
				}
				expr = expr || !col.Valid
				cols = append(cols, col.String)
				return nil
			}, i.name)
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", i.name, err)
			}
			if !expr && len(cols) > 0 {
				t.Indexes = append(t.Indexes, Index{Name: i.name, Columns: cols, Unique: i.unique})
			}
		}
		err = queryRows(ctx, db, `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, func(scan func(...any) error) error {
			var id int
			var ref, from string
			var to sql.NullString
			var onDelete string
			if err := scan(&id, &ref, &from, &to, &onDelete); err != nil {
				return err
			}
			fkName := name + "_fk" + strconv.Itoa(id)
			b.addFK(name, fkName, from, ref, to.String, onDelete)
			return nil
		}, name)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
		}
	}
	// A foreign key that names no target columns points at the primary key.
	for _, t := range b.tables {
		for i := range t.ForeignKeys {
			fk := &t.ForeignKeys[i]
			if allEmpty(fk.RefColumns) {
				if rt, ok := b.tables[fk.RefTable]; ok {
					fk.RefColumns = append([]string(nil), rt.PrimaryKey...)
				}
			}
		}
	}
	return b.schema(), nil
}

func allEmpty(cols []string) bool {
	for _, c := range cols {
		if c != "" {
			return false
		}
	}
	return true
}

// sqliteKind follows SQLite's affinity rules, refined by the declared name.
func sqliteKind(declared string) (Kind, int) {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "BOOL"):
		return KindBool, 0
	case strings.Contains(t, "INT"):
		return KindInt, 64
	case strings.Contains(t, "JSON"):
		return KindJSON, 0
	case strings.Contains(t, "UUID"):
		return KindUUID, 0
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"):
		return KindText, 0
	case strings.Contains(t, "TEXT"):
		return KindLongText, 0
	case strings.Contains(t, "BLOB"), t == "":
		return KindBinary, 0
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return KindFloat, 0
	case strings.Contains(t, "DATETIME"), strings.Contains(t, "TIMESTAMP"):
		return KindDateTime, 0
	case strings.Contains(t, "DATE"):
		return KindDate, 0
	case strings.Contains(t, "TIME"):
		return KindTime, 0
	case strings.Contains(t, "DEC"), strings.Contains(t, "NUM"):
		return KindDecimal, 0
	}
	return KindOther, 0
}
