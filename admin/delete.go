package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/queries"
)

type deletePage struct {
	*base
	Label    string
	Rows     []string // labels of the rows to delete (the first few)
	More     int      // how many more
	Total    int
	Effects  []effect
	Blockers []effect
	Action   string
	Keys     []string // for a bulk delete: the selected keys
	Query    string
	Bulk     bool
	Back     string
	Refused  bool // the database refused although the preview found no blocker
}

// effect is what a delete does to another table's rows.
type effect struct {
	Table   string
	Label   string
	Count   int64
	What    string // "deleted", "set to NULL", "set to their default"
	Samples []string
}

// rowSet writes a condition selecting a set of rows of one table.
type rowSet func(q *records.SQL)

// cascadeWalk is what deleting a set of rows does to other tables' rows
// (records.Cascade), as the delete page shows it: what is deleted or
// cleared with them, and what blocks the delete.
type cascadeWalk struct {
	effects  []effect
	blockers []effect
	// denied is set when a blocker is the user's permissions (or the
	// walk's depth), not a RESTRICT the database itself enforces.
	denied bool
}

// cascade previews deleting the rows of root that set selects. As in
// Django, a user deletes through a cascade only what they may delete
// themselves.
func (rq *request) cascade(db queries.DBTX, root *introspect.Table, set rowSet) (*cascadeWalk, error) {
	effects, err := records.Cascade(rq.ctx(), db, rq.db.Dialect, rq.st.schema, root.Name, set,
		func(e records.Effect) bool { return rq.canTable(e.Table, "delete") })
	if err != nil {
		return nil, err
	}
	w := &cascadeWalk{}
	for _, fx := range effects {
		e := effect{Table: fx.Table, Label: strings.ReplaceAll(strings.TrimPrefix(fx.Table, "quarry_"), "_", " "), Count: fx.Count}
		if cm, ok := rq.st.models[fx.Table]; ok {
			e.Label = cm.label
			if rq.can("view", cm) {
				e.Samples = rq.samples(db, cm, fx.Set)
			}
		}
		switch fx.Action {
		case records.EffectDelete:
			switch {
			case !rq.canTable(fx.Table, "delete"):
				e.What = "would be deleted with it, and you may not delete those"
				w.blockers, w.denied = append(w.blockers, e), true
			case fx.TooDeep:
				e.What = fmt.Sprintf("would be deleted more than %d links away; delete those first", records.MaxCascadeDepth)
				w.blockers, w.denied = append(w.blockers, e), true
			default:
				e.What = "deleted"
				w.effects = append(w.effects, e)
			}
		case records.EffectSetNull, records.EffectSetDefault:
			e.What = "have " + strings.Join(fx.FK.Columns, ", ") + map[string]string{records.EffectSetNull: " cleared", records.EffectSetDefault: " set to the default"}[fx.Action]
			w.effects = append(w.effects, e)
		default:
			e.What = "refer to it (" + fx.FK.Name + ")"
			w.blockers = append(w.blockers, e)
		}
	}
	return w, nil
}

// samples returns the labels of up to five rows of m in set.
func (rq *request) samples(db queries.DBTX, m *model, set rowSet) []string {
	cols := append([]*introspect.Column{}, m.PK...)
	if m.display != nil {
		cols = append(cols, m.display)
	}
	if len(cols) == 0 {
		return nil
	}
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(m.Name))
	q.And()
	set(q)
	rq.scope(m, q)
	q.W(" LIMIT 5")
	rows, err := q.Query(rq.ctx(), db, cols)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range rows {
		row := map[string]records.Cell{}
		for i, c := range cols {
			row[c.Name] = r[i]
		}
		out = append(out, m.rowLabel(row))
	}
	return out
}

func (rq *request) deleteConfirm() {
	key, ok := rq.keyFromPath()
	if !ok {
		return
	}
	rq.confirmDelete([][]any{key}, false)
}

// confirmDelete shows what deleting the rows with keys would do.
// A refused confirmation is shown with status 200 when the preview found
// the blockers, and with 409 when only the database's refusal did (MySQL
// checks foreign keys row by row, so rows referring to each other cannot
// be deleted in one statement there).
func (rq *request) confirmDelete(keys [][]any, bulk bool) { rq.showDelete(keys, bulk, false) }

func (rq *request) showDelete(keys [][]any, bulk, refused bool) {
	m := rq.m
	rows, err := rq.loadRows(rq.db.DB, keys)
	if err != nil {
		rq.internal(err)
		return
	}
	if len(rows) == 0 {
		rq.fail(http.StatusNotFound, "No "+m.label+" has that key. It may have been deleted already.")
		return
	}
	for _, r := range rows {
		if rq.superuserRow(r) {
			rq.fail(http.StatusForbidden, "Only a superuser may delete a superuser.")
			return
		}
	}
	p := deletePage{Label: m.label, Total: len(rows), Bulk: bulk, Back: rq.tableURL(m), Query: rq.r.URL.RawQuery}
	for i, r := range rows {
		if i < 20 {
			p.Rows = append(p.Rows, m.rowLabel(r))
		}
		p.Keys = append(p.Keys, rq.m.RowKey(r))
	}
	p.More = len(rows) - len(p.Rows)
	w, err := rq.cascade(rq.db.DB, m.Schema, func(q *records.SQL) { q.KeysMatch(m.PK, keysOf(m, rows)) })
	if err != nil {
		rq.internal(err)
		return
	}
	p.Effects, p.Blockers = w.effects, w.blockers
	status := http.StatusOK
	if refused && len(p.Blockers) == 0 {
		p.Refused, status = true, http.StatusConflict
	}
	title := "Delete " + m.label
	if bulk {
		p.Action = rq.tableURL(m)
		if p.Query != "" {
			p.Action += "?" + p.Query
		}
	} else {
		p.Action = rq.rowURL(m, p.Keys[0], "delete")
		p.Back = rq.rowURL(m, p.Keys[0], "change")
		title = "Delete " + p.Rows[0]
	}
	p.base = rq.base(title, crumb{m.label, rq.tableURL(m)}, crumb{"Delete", ""})
	rq.render(status, "delete", p)
}

func keysOf(m *model, rows []map[string]records.Cell) [][]any {
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		key, _ := m.KeyOf(r)
		out = append(out, key)
	}
	return out
}

// loadRows reads the rows with keys (records.Table.GetMany), within the
// rows the user may see.
func (rq *request) loadRows(db queries.DBTX, keys [][]any) ([]map[string]records.Cell, error) {
	m := rq.m
	return m.GetMany(rq.ctx(), db, rq.db.Dialect, keys, func(q *records.SQL) { rq.scope(m, q) })
}

func (rq *request) deleteRow() {
	key, ok := rq.keyFromPath()
	if !ok {
		return
	}
	n, label, err := rq.deleteKeys([][]any{key})
	switch {
	case errors.Is(err, errBlocked):
		rq.showDelete([][]any{key}, false, true)
		return
	case errors.Is(err, errSuperusersOnly):
		rq.fail(http.StatusForbidden, "Only a superuser may delete a superuser.")
		return
	case err != nil:
		rq.internal(err)
		return
	case n == 0:
		rq.fail(http.StatusNotFound, "No "+rq.m.label+" has that key. It may have been deleted already.")
		return
	}
	rq.flash(fmt.Sprintf("Deleted “%s” from %s.", label, rq.m.label))
	rq.redirect(rq.tableURL(rq.m))
}

var errBlocked = errors.New("admin: other rows refer to these")

// deleteKeys deletes the rows with keys in one transaction, recording each
// in the audit log with its values. It returns how many it deleted and the
// label of the first.
func (rq *request) deleteKeys(keys [][]any) (int, string, error) {
	m := rq.m
	var n int
	var label string
	err := rq.inTx(func(ftx *framework.Tx) error {
		tx := ftx.Tx
		rows, err := rq.loadRows(tx, keys)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			if rq.superuserRow(r) {
				return errSuperusersOnly
			}
		}
		// Permissions are checked here; RESTRICT is left to the database,
		// which knows which referencing rows are being deleted too.
		w, err := rq.cascade(tx, m.Schema, func(q *records.SQL) { q.KeysMatch(m.PK, keysOf(m, rows)) })
		if err != nil {
			return err
		}
		if w.denied {
			return errBlocked
		}
		if _, err := m.Delete(rq.ctx(), tx, rq.db.Dialect, keysOf(m, rows)); err != nil {
			if errors.Is(rq.db.Dialect.ClassifyError(err), queries.ErrForeignKeyViolation) {
				return errBlocked
			}
			return err
		}
		for i, r := range rows {
			if i == 0 {
				label = m.rowLabel(r)
			}
			changes := map[string][2]any{}
			for _, c := range m.Columns {
				if v := r[c.Name]; !v.Null {
					changes[c.Name] = [2]any{v.Text, nil}
				}
			}
			if err := rq.audit(tx, "delete", rq.m.RowKey(r), changes); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, label, err
}
