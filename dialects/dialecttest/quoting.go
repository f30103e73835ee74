package dialecttest

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework/introspect"
)

// hostileNames are identifiers that break SQL text unless quoted: spaces,
// both quote characters, a backtick, a semicolon, a comment marker,
// unicode, a reserved word, mixed case.
var hostileNames = []string{
	"my table",
	`dq"uote`,
	"sq'uote",
	"back`tick",
	"semi;colon",
	"dash--dash",
	"ünïcødé_表",
	"select",
	"MixedCase",
}

// testHostileIdentifiers creates a table under each hostile name, whose
// columns carry every hostile name, with QuoteIdent alone; then inserts,
// selects, updates and deletes rows with hostile values, and reads the
// names back from the catalog.
func testHostileIdentifiers(t *testing.T, open Open) {
	e := newEnv(t, open)
	d := e.db.Dialect
	q, ph := d.QuoteIdent, d.Placeholder
	cols := hostileNames
	quotedCols := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		quotedCols[i] = q(c)
		marks[i] = ph(i + 2)
	}
	for ti, table := range hostileNames {
		t.Run(fmt.Sprintf("%d", ti), func(t *testing.T) {
			exec := func(what, stmt string, args ...any) sql.Result {
				t.Helper()
				res, err := e.db.DB.ExecContext(e.ctx, stmt, args...)
				if err != nil {
					t.Fatalf("%s on table %q: %v\n%s", what, table, d.ClassifyError(err), stmt)
				}
				return res
			}
			defs := []string{q("id") + " INTEGER NOT NULL PRIMARY KEY"}
			for _, c := range quotedCols {
				defs = append(defs, c+" VARCHAR(100) NULL")
			}
			exec("create", "CREATE TABLE "+q(table)+" ("+strings.Join(defs, ", ")+")")
			exec("index", "CREATE INDEX "+q("ix "+table)+" ON "+q(table)+" ("+q(cols[0])+")")

			value := func(row, col int) string { return fmt.Sprintf("v%d '%s\" `; -- %s", row, cols[col], table) }
			insert := "INSERT INTO " + q(table) + " (" + q("id") + ", " + strings.Join(quotedCols, ", ") + ") VALUES (" + ph(1) + ", " + strings.Join(marks, ", ") + ")"
			for row := 1; row <= 2; row++ {
				args := []any{row}
				for c := range cols {
					args = append(args, value(row, c))
				}
				exec("insert", insert, args...)
			}
			// Select every column by a hostile one.
			sel := "SELECT " + q("id") + ", " + strings.Join(quotedCols, ", ") + " FROM " + q(table) + " WHERE " + q(cols[len(cols)-1]) + " = " + ph(1)
			got := make([]any, len(cols)+1)
			var id int
			got[0] = &id
			vals := make([]string, len(cols))
			for i := range vals {
				got[i+1] = &vals[i]
			}
			if err := e.db.DB.QueryRowContext(e.ctx, sel, value(2, len(cols)-1)).Scan(got...); err != nil {
				t.Fatalf("select from %q: %v\n%s", table, d.ClassifyError(err), sel)
			}
			for c := range cols {
				if vals[c] != value(2, c) {
					t.Errorf("table %q column %q: read %q, wrote %q", table, cols[c], vals[c], value(2, c))
				}
			}
			if id != 2 {
				t.Errorf("table %q: selected row %d, want 2", table, id)
			}
			// Update and delete through hostile names.
			upd := exec("update", "UPDATE "+q(table)+" SET "+q(cols[1])+" = "+ph(1)+" WHERE "+q(cols[2])+" = "+ph(2), "changed", value(1, 2))
			if n, err := upd.RowsAffected(); err != nil || n != 1 {
				t.Errorf("update on %q: %d rows, %v", table, n, err)
			}
			del := exec("delete", "DELETE FROM "+q(table)+" WHERE "+q(cols[1])+" = "+ph(1), "changed")
			if n, err := del.RowsAffected(); err != nil || n != 1 {
				t.Errorf("delete on %q: %d rows, %v", table, n, err)
			}
			var n int
			if err := e.db.DB.QueryRowContext(e.ctx, "SELECT COUNT(*) FROM "+q(table)).Scan(&n); err != nil || n != 1 {
				t.Errorf("count of %q: %d, %v; want 1", table, n, err)
			}
		})
	}
	// The catalog names them exactly as written.
	tables, err := d.TableNames(e.ctx, e.db.DB)
	e.must("TableNames", err)
	s, err := introspect.Load(e.ctx, e.db)
	e.must("introspect.Load", err)
	for _, table := range hostileNames {
		if !slices.Contains(tables, table) {
			t.Errorf("TableNames lacks %q: %q", table, tables)
		}
		tb, ok := s.Table(table)
		if !ok {
			t.Errorf("introspect.Load lacks table %q", table)
			continue
		}
		if names := columnNames(tb); !slices.Equal(names, append([]string{"id"}, cols...)) {
			t.Errorf("table %q: columns read back as %q", table, names)
		}
	}
}
