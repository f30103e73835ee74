package admin

import (
	"fmt"

	"github.com/quarry-go/quarry/framework/records"
)

// count counts the rows of m that where selects (nil: every row the user
// may see), stopping at limit+1 so that a count over a huge table costs no
// more than reading limit rows.
func (rq *request) count(m *model, where func(*records.SQL), limit int) (int64, error) {
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ", q.Ident(m.Name))
	if where != nil {
		where(q)
	} else {
		rq.scope(m, q)
	}
	q.W(" LIMIT ", fmt.Sprint(limit+1), ") capped")
	var n int64
	err := rq.db.DB.QueryRowContext(rq.ctx(), q.String(), q.Args()...).Scan(&n)
	return n, err
}
