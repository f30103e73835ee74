package admin

import (
	"github.com/quarry-go/quarry/framework/records"
)

// count counts the rows of m that where selects (nil: every row the user
// may see), stopping at limit+1 so that a count over a huge table costs no
// more than reading limit rows.
func (rq *request) count(m *model, where func(*records.SQL), limit int) (int64, error) {
	if where == nil {
		where = func(q *records.SQL) { rq.scope(m, q) }
	}
	return m.Count(rq.ctx(), rq.db.DB, rq.db.Dialect, &records.List{Scope: where}, limit)
}
