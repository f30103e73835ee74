package schemadiff

import (
	"fmt"
	"strings"

	"ariga.io/atlas/sql/schema"
)

// summarize describes each change on one line.
func summarize(changes []schema.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *schema.AddTable:
			out = append(out, "create table "+c.T.Name)
		case *schema.DropTable:
			out = append(out, "drop table "+c.T.Name)
		case *schema.RenameTable:
			out = append(out, fmt.Sprintf("rename table %s to %s", c.From.Name, c.To.Name))
		case *schema.ModifyTable:
			for _, tc := range c.Changes {
				out = append(out, describeTableChange(c.T.Name, tc))
			}
		case *schema.AddObject:
			out = append(out, "create "+objectName(c.O))
		case *schema.DropObject:
			out = append(out, "drop "+objectName(c.O))
		case *schema.ModifyObject:
			out = append(out, "change "+objectName(c.To))
		default:
			out = append(out, fmt.Sprintf("%T", c))
		}
	}
	return out
}

func objectName(o schema.Object) string {
	if e, ok := o.(*schema.EnumType); ok {
		return "enum type " + e.T
	}
	return fmt.Sprintf("%T", o)
}

func describeTableChange(table string, c schema.Change) string {
	switch c := c.(type) {
	case *schema.AddColumn:
		return fmt.Sprintf("add column %s.%s", table, c.C.Name)
	case *schema.DropColumn:
		return fmt.Sprintf("drop column %s.%s", table, c.C.Name)
	case *schema.RenameColumn:
		return fmt.Sprintf("rename column %s.%s to %s", table, c.From.Name, c.To.Name)
	case *schema.ModifyColumn:
		var what []string
		if c.Change.Is(schema.ChangeType) {
			what = append(what, fmt.Sprintf("type %s → %s", typeString(c.From.Type), typeString(c.To.Type)))
		}
		if c.Change.Is(schema.ChangeNull) {
			what = append(what, map[bool]string{true: "nullable", false: "NOT NULL"}[c.To.Type.Null])
		}
		if c.Change.Is(schema.ChangeDefault) {
			what = append(what, "default")
		}
		if len(what) == 0 {
			what = append(what, "attributes")
		}
		return fmt.Sprintf("change column %s.%s (%s)", table, c.To.Name, strings.Join(what, ", "))
	case *schema.AddIndex:
		return fmt.Sprintf("add %s %s on %s", indexKind(c.I), c.I.Name, table)
	case *schema.DropIndex:
		return fmt.Sprintf("drop %s %s on %s", indexKind(c.I), c.I.Name, table)
	case *schema.ModifyIndex:
		return fmt.Sprintf("change index %s on %s", c.To.Name, table)
	case *schema.AddForeignKey:
		return fmt.Sprintf("add foreign key %s on %s", c.F.Symbol, table)
	case *schema.DropForeignKey:
		return fmt.Sprintf("drop foreign key %s on %s", c.F.Symbol, table)
	case *schema.ModifyForeignKey:
		return fmt.Sprintf("change foreign key %s on %s", c.To.Symbol, table)
	case *schema.AddCheck:
		return fmt.Sprintf("add check %s on %s", c.C.Name, table)
	case *schema.DropCheck:
		return fmt.Sprintf("drop check %s on %s", c.C.Name, table)
	case *schema.ModifyCheck:
		return fmt.Sprintf("change check %s on %s", c.To.Name, table)
	case *schema.AddPrimaryKey, *schema.DropPrimaryKey, *schema.ModifyPrimaryKey:
		return "change primary key of " + table
	}
	return fmt.Sprintf("change %s (%T)", table, c)
}

func indexKind(ix *schema.Index) string {
	if ix.Unique {
		return "unique index"
	}
	return "index"
}

// destructive names the changes that drop data or constraints, or narrow
// a column's type.
func destructive(changes []schema.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *schema.DropTable:
			out = append(out, "drops table "+c.T.Name+" and its rows"+tableRenameHint(changes, c.T))
		case *schema.ModifyTable:
			for _, tc := range c.Changes {
				switch tc := tc.(type) {
				case *schema.DropColumn:
					out = append(out, fmt.Sprintf("drops column %s.%s and its values%s", c.T.Name, tc.C.Name, renameHint(c, tc.C)))
				case *schema.ModifyColumn:
					if tc.Change.Is(schema.ChangeType) && narrows(tc.From.Type, tc.To.Type) {
						out = append(out, fmt.Sprintf("narrows column %s.%s from %s to %s, which may truncate or reject values",
							c.T.Name, tc.To.Name, typeString(tc.From.Type), typeString(tc.To.Type)))
					}
				case *schema.DropIndex:
					if tc.I.Unique {
						out = append(out, fmt.Sprintf("drops unique index %s on %s", tc.I.Name, c.T.Name))
					}
				case *schema.DropForeignKey:
					out = append(out, fmt.Sprintf("drops foreign key %s on %s", tc.F.Symbol, c.T.Name))
				}
			}
		}
	}
	return out
}

// renameHint points out a dropped column that looks renamed: a column of
// the same type is added to the same table.
func renameHint(t *schema.ModifyTable, dropped *schema.Column) string {
	for _, tc := range t.Changes {
		if add, ok := tc.(*schema.AddColumn); ok && typeString(add.C.Type) == typeString(dropped.Type) {
			return fmt.Sprintf(" (if %s was renamed to %s, say so in the DDL: add the comment \"-- quarry:renamed-from %s\" to the column)",
				dropped.Name, add.C.Name, dropped.Name)
		}
	}
	return ""
}

// tableRenameHint points out a dropped table that looks renamed: a table
// with the same columns is created.
func tableRenameHint(changes []schema.Change, dropped *schema.Table) string {
	for _, c := range changes {
		add, ok := c.(*schema.AddTable)
		if !ok || len(add.T.Columns) != len(dropped.Columns) {
			continue
		}
		same := true
		for _, col := range dropped.Columns {
			if _, ok := add.T.Column(col.Name); !ok {
				same = false
				break
			}
		}
		if same {
			return fmt.Sprintf(" (if %s was renamed to %s, say so in the DDL: put the comment \"-- quarry:renamed-from %s\" above its CREATE TABLE)",
				dropped.Name, add.T.Name, dropped.Name)
		}
	}
	return ""
}

// unsafe lists changes that cannot run on a table holding rows.
func unsafe(changes []schema.Change) []string {
	var out []string
	for _, c := range changes {
		t, ok := c.(*schema.ModifyTable)
		if !ok {
			continue
		}
		for _, tc := range t.Changes {
			add, ok := tc.(*schema.AddColumn)
			if !ok || add.C.Type == nil || add.C.Type.Null || add.C.Default != nil || autoIncrement(add.C) {
				continue
			}
			out = append(out, fmt.Sprintf("column %s.%s is added NOT NULL without a default, so the table's existing rows have no value for it. "+
				"Give it a DEFAULT, or add it nullable, fill it, and make it NOT NULL in a later migration", t.T.Name, add.C.Name))
		}
	}
	return out
}

func autoIncrement(c *schema.Column) bool {
	for _, a := range c.Attrs {
		if strings.Contains(strings.ToLower(fmt.Sprintf("%T", a)), "autoincrement") || strings.Contains(strings.ToLower(fmt.Sprintf("%T", a)), "identity") {
			return true
		}
	}
	return false
}

// narrows reports whether a type change can lose or reject values. Only
// known widenings pass: a longer string (or one without a length), a larger
// integer, an integer into a wide enough decimal, more decimal precision
// and scale, a wider float. Every other change counts as narrowing.
func narrows(from, to *schema.ColumnType) bool {
	if from == nil || to == nil || from.Type == nil || to.Type == nil {
		return true
	}
	switch f := from.Type.(type) {
	case *schema.StringType:
		t, ok := to.Type.(*schema.StringType)
		if !ok {
			return true
		}
		if stringRank(t.T) < stringRank(f.T) {
			return true
		}
		return t.Size > 0 && (f.Size == 0 || t.Size < f.Size)
	case *schema.IntegerType:
		switch t := to.Type.(type) {
		case *schema.IntegerType:
			return intRank(t.T) < intRank(f.T) || t.Unsigned != f.Unsigned
		case *schema.DecimalType:
			return t.Precision != 0 && t.Precision-t.Scale < 20 // 0: unbounded
		}
		return true
	case *schema.DecimalType:
		t, ok := to.Type.(*schema.DecimalType)
		return !ok || t.Precision-t.Scale < f.Precision-f.Scale || t.Scale < f.Scale
	case *schema.FloatType:
		t, ok := to.Type.(*schema.FloatType)
		return !ok || t.Precision < f.Precision || floatRank(t.T) < floatRank(f.T)
	}
	return !strings.EqualFold(typeString(from), typeString(to))
}

// stringRank orders MySQL's text types by capacity; others rank alike.
func stringRank(t string) int {
	switch strings.ToLower(t) {
	case "tinytext", "tinyblob":
		return 1
	case "mediumtext", "mediumblob":
		return 3
	case "longtext", "longblob":
		return 4
	}
	return 2
}

func floatRank(t string) int {
	switch strings.ToLower(t) {
	case "real", "float", "float4":
		return 1
	}
	return 2
}

func intRank(t string) int {
	switch strings.ToLower(t) {
	case "tinyint", "int1":
		return 1
	case "smallint", "int2":
		return 2
	case "mediumint":
		return 3
	case "int", "integer", "int4":
		return 4
	}
	return 5 // bigint, int8
}

func typeString(ct *schema.ColumnType) string {
	if ct == nil || ct.Type == nil {
		return "?"
	}
	if ct.Raw != "" {
		return ct.Raw
	}
	switch t := ct.Type.(type) {
	case *schema.StringType:
		if t.Size > 0 {
			return fmt.Sprintf("%s(%d)", t.T, t.Size)
		}
		return t.T
	case *schema.IntegerType:
		return t.T
	case *schema.DecimalType:
		return fmt.Sprintf("%s(%d,%d)", t.T, t.Precision, t.Scale)
	}
	return fmt.Sprintf("%T", ct.Type)
}
