package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/queries"
)

// query builds one SQL statement: identifiers come from the introspected
// schema and are quoted; every value is a bound parameter.
type query struct {
	d        dialects.Dialect
	sb       strings.Builder
	args     []any
	hasWhere bool // and() has written WHERE
}

func newQuery(d dialects.Dialect) *query { return &query{d: d} }

func (q *query) w(parts ...string) *query {
	for _, p := range parts {
		q.sb.WriteString(p)
	}
	return q
}

func (q *query) ident(name string) string { return q.d.QuoteIdent(name) }

// and starts the next condition of the WHERE clause: " WHERE " the first
// time, " AND " after.
func (q *query) and() *query {
	if q.hasWhere {
		return q.w(" AND ")
	}
	q.hasWhere = true
	return q.w(" WHERE ")
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return q.d.Placeholder(len(q.args))
}

// typedArg binds v for comparison with column c: a decimal, bound as
// text, through the dialect's BindDecimal, so that it compares exactly.
func (q *query) typedArg(c *introspect.Column, v any) string {
	if c.Kind == introspect.KindDecimal {
		return q.d.BindDecimal(q.arg(v))
	}
	return q.arg(v)
}

func (q *query) String() string { return q.sb.String() }

// colList writes the quoted column names, comma-separated.
func (q *query) colList(cols []*introspect.Column) *query {
	for i, c := range cols {
		if i > 0 {
			q.w(", ")
		}
		q.w(q.ident(c.Name))
	}
	return q
}

// fold is the expression of col's text folded to lower case.
func (q *query) fold(c *introspect.Column) string {
	expr := q.ident(c.Name)
	if c.Kind != introspect.KindText && c.Kind != introspect.KindLongText && c.Kind != introspect.KindEnum {
		expr = q.d.CastText(expr)
	}
	return q.d.FoldCase(expr)
}

// keyMatch writes "(a = ? AND b = ?)" for one primary key.
func (q *query) keyMatch(pk []*introspect.Column, key []any) *query {
	q.w("(")
	for i, c := range pk {
		if i > 0 {
			q.w(" AND ")
		}
		q.w(q.ident(c.Name), " = ", q.typedArg(c, key[i]))
	}
	return q.w(")")
}

// keysMatch writes a condition matching any of keys.
func (q *query) keysMatch(pk []*introspect.Column, keys [][]any) *query {
	if len(pk) == 1 {
		q.w(q.ident(pk[0].Name), " IN (")
		for i, k := range keys {
			if i > 0 {
				q.w(", ")
			}
			q.w(q.arg(k[0]))
		}
		return q.w(")")
	}
	q.w("(")
	for i, k := range keys {
		if i > 0 {
			q.w(" OR ")
		}
		q.keyMatch(pk, k)
	}
	return q.w(")")
}

// scanCells reads every row of rows into cells of cols.
func scanCells(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}, cols []*introspect.Column, limit int) ([][]cell, error) {
	var out [][]cell
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]cell, len(cols))
		for i, c := range cols {
			row[i] = toCell(c, vals[i])
		}
		out = append(out, row)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, rows.Err()
}

// queryCells runs q and returns its rows as cells of cols.
func queryCells(ctx context.Context, db queries.DBTX, q *query, cols []*introspect.Column) ([][]cell, error) {
	rows, err := db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, q.String())
	}
	defer rows.Close()
	return scanCells(rows, cols, 0)
}

// count counts the rows of m that where selects (nil: every row the user
// may see), stopping at limit+1 so that a count over a huge table costs no
// more than reading limit rows.
func (rq *request) count(m *model, where func(*query), limit int) (int64, error) {
	q := newQuery(rq.db.Dialect)
	q.w("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ", q.ident(m.name))
	if where != nil {
		where(q)
	} else {
		rq.scope(m, q)
	}
	q.w(" LIMIT ", fmt.Sprint(limit+1), ") capped")
	var n int64
	err := rq.db.DB.QueryRowContext(rq.ctx(), q.String(), q.args...).Scan(&n)
	return n, err
}
