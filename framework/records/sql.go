package records

import (
	"context"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/queries"
)

// SQL builds one statement: identifiers come from the introspected schema
// and are quoted by the dialect; every value is a bound parameter.
type SQL struct {
	d        dialects.Dialect
	sb       strings.Builder
	args     []any
	hasWhere bool // And has written WHERE
}

// NewSQL starts a statement for dialect d.
func NewSQL(d dialects.Dialect) *SQL { return &SQL{d: d} }

// W writes SQL text as it is: keywords and what Ident and Arg return.
func (q *SQL) W(parts ...string) *SQL {
	for _, p := range parts {
		q.sb.WriteString(p)
	}
	return q
}

// Ident quotes an identifier.
func (q *SQL) Ident(name string) string { return q.d.QuoteIdent(name) }

// And starts the next condition of the WHERE clause: " WHERE " the first
// time, " AND " after.
func (q *SQL) And() *SQL {
	if q.hasWhere {
		return q.W(" AND ")
	}
	q.hasWhere = true
	return q.W(" WHERE ")
}

// Arg binds v and returns its placeholder.
func (q *SQL) Arg(v any) string {
	q.args = append(q.args, v)
	return q.d.Placeholder(len(q.args))
}

// TypedArg binds v for comparison with column c: a decimal, bound as
// text, through the dialect's BindDecimal, so that it compares exactly.
func (q *SQL) TypedArg(c *introspect.Column, v any) string {
	if c.Kind == introspect.KindDecimal {
		return q.d.BindDecimal(q.Arg(v))
	}
	return q.Arg(v)
}

// String is the statement.
func (q *SQL) String() string { return q.sb.String() }

// Args are the bound values, in order.
func (q *SQL) Args() []any { return q.args }

// Dialect is the statement's dialect.
func (q *SQL) Dialect() dialects.Dialect { return q.d }

// Cols writes the quoted column names, comma-separated.
func (q *SQL) Cols(cols []*introspect.Column) *SQL {
	for i, c := range cols {
		if i > 0 {
			q.W(", ")
		}
		q.W(q.Ident(c.Name))
	}
	return q
}

// Fold is the expression of col's text folded to lower case.
func (q *SQL) Fold(c *introspect.Column) string {
	expr := q.Ident(c.Name)
	if c.Kind != introspect.KindText && c.Kind != introspect.KindLongText {
		// An enum too: PostgreSQL has no LOWER of an enum type.
		expr = q.d.CastText(expr)
	}
	return q.d.FoldCase(expr)
}

// KeyMatch writes "(a = ? AND b = ?)" for one primary key.
func (q *SQL) KeyMatch(pk []*introspect.Column, key []any) *SQL {
	q.W("(")
	for i, c := range pk {
		if i > 0 {
			q.W(" AND ")
		}
		q.W(q.Ident(c.Name), " = ", q.TypedArg(c, key[i]))
	}
	return q.W(")")
}

// KeysMatch writes a condition matching any of keys.
func (q *SQL) KeysMatch(pk []*introspect.Column, keys [][]any) *SQL {
	if len(pk) == 1 {
		q.W(q.Ident(pk[0].Name), " IN (")
		for i, k := range keys {
			if i > 0 {
				q.W(", ")
			}
			q.W(q.TypedArg(pk[0], k[0]))
		}
		return q.W(")")
	}
	q.W("(")
	for i, k := range keys {
		if i > 0 {
			q.W(" OR ")
		}
		q.KeyMatch(pk, k)
	}
	return q.W(")")
}

// Query runs the statement on db and returns its rows as cells of cols
// (the columns it selects, in order).
func (q *SQL) Query(ctx context.Context, db queries.DBTX, cols []*introspect.Column) ([][]Cell, error) {
	rows, err := db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, q.String())
	}
	defer rows.Close()
	return scanCells(rows, cols)
}

// Exec runs the statement on db and returns the rows it changed.
func (q *SQL) Exec(ctx context.Context, db queries.DBTX) (int64, error) {
	res, err := db.ExecContext(ctx, q.String(), q.args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// scanCells reads every row of rows into cells of cols.
func scanCells(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}, cols []*introspect.Column) ([][]Cell, error) {
	var out [][]Cell
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]Cell, len(cols))
		for i, c := range cols {
			row[i] = ToCell(c, vals[i])
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// LikeEscape escapes s for a LIKE pattern written with ESCAPE '!'.
func LikeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
