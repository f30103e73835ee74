package admin

import (
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework/introspect"
)

// auditTable is the framework's audit log. Each entry holds the values of
// a row of another table before and after a change, so a user who may
// view the audit log sees only the entries of tables they may view
// themselves (superusers see all): in its list, counts, facets, search,
// export, detail pages and the index's recent actions alike.
const auditTable = "quarry_audit_log"

// scoped reports whether the user sees only some of m's rows.
func (rq *request) scoped(m *model) bool { return m.auditLog && rq.perms != nil }

// scope adds to q's WHERE clause the condition selecting the rows of m
// the user may see, if they may not see all of them. Every query that
// reads rows of a model to show them goes through it.
func (rq *request) scope(m *model, q *records.SQL) {
	if !rq.scoped(m) {
		return
	}
	tables := rq.viewableTables()
	q.And()
	if len(tables) == 0 {
		q.W("1 = 0")
		return
	}
	q.W(q.Ident("table_name"), " IN (")
	for i, t := range tables {
		if i > 0 {
			q.W(", ")
		}
		q.W(q.Arg(t))
	}
	q.W(")")
}

// viewableTables are the tables the (non-superuser) user holds view or
// change permission on, sorted.
func (rq *request) viewableTables() []string {
	var out []string
	for code := range rq.perms {
		i := strings.LastIndexByte(code, '.')
		if i > 0 && (code[i+1:] == "view" || code[i+1:] == "change") && !slices.Contains(out, code[:i]) {
			out = append(out, code[:i])
		}
	}
	slices.Sort(out)
	return out
}

// auditEntry is one entry of the audit log as the index shows it.
type auditEntry struct {
	when                    string
	actor                   records.Cell
	action, table, objectID string
}

// recentActions returns the newest entries of the audit log the user may
// see, newest first.
func (rq *request) recentActions(audit *model, limit int) ([]auditEntry, error) {
	var cols []*introspect.Column
	for _, n := range []string{"created_at", "actor_id", "action", "table_name", "object_id", "id"} {
		c, ok := audit.Schema.Column(n)
		if !ok {
			return nil, nil // not the framework's audit log
		}
		cols = append(cols, c)
	}
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(audit.Name))
	rq.scope(audit, q)
	records.WriteOrder(q, []records.Order{{Col: cols[5], Desc: true}}, false)
	q.W(" LIMIT ", strconv.Itoa(limit))
	rows, err := q.Query(rq.ctx(), rq.db.DB, cols)
	if err != nil {
		return nil, err
	}
	out := make([]auditEntry, len(rows))
	for i, r := range rows {
		out[i] = auditEntry{when: r[0].Text, actor: r[1], action: r[2].Text, table: r[3].Text, objectID: r[4].Text}
	}
	return out, nil
}
