package dialecttest

import (
	"slices"
	"testing"
	"time"
)

// testFragments runs the SQL of the dialect's Fragments on the real
// database, as the admin builds its statements with them: a row of
// defaults inserted with InsertDefaultValues, numbers searched as text
// through CastText and FoldCase, "É" folded to "é", decimals compared
// through BindDecimal (exactly, where the database stores them exactly),
// and the capabilities that let a keyset cursor compare decimals and
// datetimes with plain parameters.
func testFragments(t *testing.T, open Open) {
	e := newEnv(t, open)
	d := e.db.Dialect
	q, ph := d.QuoteIdent, d.Placeholder
	exec := func(t *testing.T, stmt string, args ...any) {
		t.Helper()
		_, err := e.db.DB.ExecContext(e.ctx, stmt, args...)
		e.must(stmt, d.ClassifyError(err))
	}
	// ids runs a query selecting the id column and returns the ids.
	ids := func(t *testing.T, query string, args ...any) []int64 {
		t.Helper()
		rows, err := e.db.DB.QueryContext(e.ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, d.ClassifyError(err))
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatalf("%s: scan: %v", query, err)
			}
			out = append(out, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", query, d.ClassifyError(err))
		}
		return out
	}
	text := func(t *testing.T, query string, args ...any) string {
		t.Helper()
		var s string
		if err := e.db.DB.QueryRowContext(e.ctx, query, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", query, d.ClassifyError(err))
		}
		return s
	}

	t.Run("InsertDefaultValues", func(t *testing.T) {
		exec(t, "CREATE TABLE "+q("dt_defaults")+" ("+q("n")+" INTEGER NOT NULL DEFAULT 7, "+q("s")+" VARCHAR(20) NOT NULL DEFAULT 'seven')")
		insert := "INSERT INTO " + q("dt_defaults") + " " + d.InsertDefaultValues()
		exec(t, insert)
		exec(t, insert)
		var n, minN int
		var s string
		err := e.db.DB.QueryRowContext(e.ctx, "SELECT COUNT(*), MIN("+q("n")+"), MIN("+q("s")+") FROM "+q("dt_defaults")).Scan(&n, &minN, &s)
		e.must("read the defaults back", err)
		if n != 2 || minN != 7 || s != "seven" {
			t.Errorf("%s twice: %d rows, n %d, s %q; want 2 rows of 7 and \"seven\"", insert, n, minN, s)
		}
	})

	// dt_fragments holds the rows the other cases compare.
	const (
		big     = "12345678901234567890.1234567891" // 30 digits: beyond a double
		bigNext = "12345678901234567890.1234567892" // the next value at scale 10
	)
	exec(t, "CREATE TABLE "+q("dt_fragments")+" ("+q("id")+" INTEGER NOT NULL PRIMARY KEY, "+
		q("n")+" INTEGER NOT NULL, "+q("amount")+" DECIMAL(30,10) NOT NULL, "+
		q("label")+" VARCHAR(50) NOT NULL, "+q("at")+" TIMESTAMP NULL)")
	base := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	insert := "INSERT INTO " + q("dt_fragments") + " (" + q("id") + ", " + q("n") + ", " + q("amount") + ", " + q("label") + ", " + q("at") +
		") VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ", " + ph(4) + ", " + ph(5) + ")"
	exec(t, insert, 1, 42, "12.50", "ÉCOLE d'Été", base)
	exec(t, insert, 2, 7, big, "plain", base.Add(time.Hour))
	exec(t, insert, 3, -3, bigNext, "plain", base.Add(24*time.Hour))

	t.Run("CastText", func(t *testing.T) {
		if got := text(t, "SELECT "+d.CastText(q("n"))+" FROM "+q("dt_fragments")+" WHERE "+q("id")+" = "+ph(1), 1); got != "42" {
			t.Errorf("CastText of the integer 42 reads %q", got)
		}
		// The admin's search by key: the folded text of an integer column.
		search := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + d.FoldCase(d.CastText(q("n"))) + " = " + ph(1)
		if got := ids(t, search, "-3"); !slices.Equal(got, []int64{3}) {
			t.Errorf("%s with -3: rows %v; want [3]", search, got)
		}
		like := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + d.FoldCase(d.CastText(q("n"))) + " LIKE " + ph(1) + " ORDER BY " + q("id")
		if got := ids(t, like, "%4%"); !slices.Equal(got, []int64{1}) {
			t.Errorf("%s with %%4%%: rows %v; want [1]", like, got)
		}
	})

	t.Run("FoldCase", func(t *testing.T) {
		if got := text(t, "SELECT "+d.FoldCase(ph(1)), "É"); got != "é" {
			t.Errorf("FoldCase(É) = %q; want é", got)
		}
		if got := text(t, "SELECT "+d.FoldCase(q("label"))+" FROM "+q("dt_fragments")+" WHERE "+q("id")+" = "+ph(1), 1); got != "école d'été" {
			t.Errorf("FoldCase of ÉCOLE d'Été = %q; want école d'été", got)
		}
		// The admin's search: a folded column LIKE a pattern folded in Go.
		like := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + d.FoldCase(q("label")) + " LIKE " + ph(1)
		if got := ids(t, like, "%d'été%"); !slices.Equal(got, []int64{1}) {
			t.Errorf("%s with %%d'été%%: rows %v; want [1]", like, got)
		}
	})

	t.Run("BindDecimal", func(t *testing.T) {
		eq := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + q("amount") + " = " + d.BindDecimal(ph(1)) + " ORDER BY " + q("id")
		if got := ids(t, eq, "12.5"); !slices.Equal(got, []int64{1}) {
			t.Errorf("%s with 12.5: rows %v; want [1]", eq, got)
		}
		// Exactness is only asked of a database that keeps the digits.
		stored := text(t, "SELECT "+d.CastText(q("amount"))+" FROM "+q("dt_fragments")+" WHERE "+q("id")+" = "+ph(1), 2)
		exact := stored == big
		if d.Capabilities().ExactDecimalCompare && !exact {
			t.Errorf("ExactDecimalCompare, but %s is stored as %s", big, stored)
		}
		if !exact {
			t.Logf("decimals are not stored exactly (%s reads back as %s): exact comparison not checked", big, stored)
			return
		}
		if got := ids(t, eq, big); !slices.Equal(got, []int64{2}) {
			t.Errorf("%s with %s: rows %v; want [2]", eq, big, got)
		}
		less := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + q("amount") + " < " + d.BindDecimal(ph(1)) + " ORDER BY " + q("id")
		if got := ids(t, less, bigNext); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("%s with %s: rows %v; want [1 2]", less, bigNext, got)
		}
	})

	// What keysetKind relies on: where the capability says so, a plain
	// parameter compares in the order ORDER BY sorts.
	t.Run("ExactDecimalCompare", func(t *testing.T) {
		if !d.Capabilities().ExactDecimalCompare {
			t.Skip("Capabilities.ExactDecimalCompare is false")
		}
		gt := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + q("amount") + " > " + ph(1) + " ORDER BY " + q("amount")
		if got := ids(t, gt, big); !slices.Equal(got, []int64{3}) {
			t.Errorf("%s with %s: rows %v; want [3]", gt, big, got)
		}
	})
	t.Run("OrderedDatetimeCompare", func(t *testing.T) {
		if !d.Capabilities().OrderedDatetimeCompare {
			t.Skip("Capabilities.OrderedDatetimeCompare is false")
		}
		gt := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + q("at") + " > " + ph(1) + " ORDER BY " + q("at")
		if got := ids(t, gt, base); !slices.Equal(got, []int64{2, 3}) {
			t.Errorf("%s with %s: rows %v; want [2 3]", gt, base, got)
		}
		lt := "SELECT " + q("id") + " FROM " + q("dt_fragments") + " WHERE " + q("at") + " < " + ph(1) + " ORDER BY " + q("at") + " DESC"
		if got := ids(t, lt, base.Add(24*time.Hour)); !slices.Equal(got, []int64{2, 1}) {
			t.Errorf("%s with %s: rows %v; want [2 1]", lt, base.Add(24*time.Hour), got)
		}
	})
}
