package admin

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/textinput"
)

// bulk runs an action on the rows selected in the list (or on every row
// the list's search and filters match).
func (rq *request) bulk() {
	m := rq.m
	form := rq.r.PostForm
	name := form.Get("action")
	back := rq.tableURL(m)
	if rq.r.URL.RawQuery != "" {
		back += "?" + rq.r.URL.RawQuery
	}
	var act Action
	switch {
	case name == "delete":
		if !rq.can("delete", m) {
			rq.fail(http.StatusForbidden, "You do not have permission to delete "+m.label+".")
			return
		}
	case name == "":
		rq.flash("Choose an action to run on the selected rows.")
		rq.redirect(back)
		return
	default:
		a, ok := m.action(name)
		if !ok {
			rq.fail(http.StatusBadRequest, "There is no action by that name.")
			return
		}
		perm := a.Permission
		if perm == "" {
			perm = "change"
		}
		if !rq.can(perm, m) {
			rq.fail(http.StatusForbidden, "You do not have permission to run "+a.Label+".")
			return
		}
		act = a
	}
	keys, texts, err := rq.selection()
	if err != nil {
		rq.listError(err)
		return
	}
	if len(keys) == 0 {
		rq.flash("Select rows to run the action on.")
		rq.redirect(back)
		return
	}
	if name == "delete" {
		if form.Get("confirm") != "yes" {
			rq.confirmDelete(keys, true)
			return
		}
		n, _, err := rq.deleteKeys(keys)
		switch {
		case errors.Is(err, errBlocked):
			rq.showDelete(keys, true, true)
		case errors.Is(err, errSuperusersOnly):
			rq.fail(http.StatusForbidden, "Only a superuser may delete a superuser.")
		case err != nil:
			rq.internal(err)
		default:
			rq.flash(fmt.Sprintf("Deleted %d row(s) of %s.", n, m.label))
			rq.redirect(back)
		}
		return
	}
	var msg string
	err = rq.inTx(func(ftx *framework.Tx) error {
		tx := ftx.Tx
		var err error
		msg, err = act.Run(rq.ctx(), tx, Selection{Table: m.Name, Keys: texts, Actor: rq.user.ID, Dialect: rq.db.Dialect})
		if err != nil {
			return err
		}
		// An action's SQL is its own: it may have changed grants or
		// memberships (an "add to group" action on users), so cached
		// permission sets are read again (inTx does it for actions on the
		// permission tables themselves).
		if !auth.DecidesPermissions(m.Name) {
			if err := auth.New(ftx).PermissionsChanged(rq.ctx()); err != nil {
				return err
			}
		}
		for _, k := range texts {
			if err := rq.audit(tx, "action", records.EncodeKey(k), map[string][2]any{"action": {nil, act.Name}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var ue UserError
		if errors.As(err, &ue) {
			rq.flash(act.Label + ": " + ue.Error())
			rq.redirect(back)
			return
		}
		rq.internal(fmt.Errorf("action %s: %w", act.Name, err))
		return
	}
	if msg == "" {
		msg = fmt.Sprintf("%s: done on %d row(s).", act.Label, len(texts))
	}
	rq.flash(msg)
	rq.redirect(back)
}

// UserError is an error an action returns to show its text to the user
// (other errors are logged and shown as an internal error).
type UserError struct{ Msg string }

func (e UserError) Error() string { return e.Msg }

// selection returns the keys of the rows a bulk action applies to.
func (rq *request) selection() ([][]any, [][]string, error) {
	m := rq.m
	if len(m.PK) == 0 {
		return nil, nil, badRequest{"Rows of a table without a primary key cannot be selected."}
	}
	form := rq.r.PostForm
	if form.Get("select_all") == "1" {
		st, err := rq.parseList()
		if err != nil {
			return nil, nil, err
		}
		q := records.NewSQL(rq.db.Dialect)
		q.W("SELECT ").Cols(m.PK).W(" FROM ", q.Ident(m.Name))
		m.Where(q, &st.List, nil)
		records.WriteOrder(q, st.Order, false)
		q.W(" LIMIT ", strconv.Itoa(maxSelection+1))
		rows, err := q.Query(rq.ctx(), rq.db.DB, m.PK)
		if err != nil {
			return nil, nil, err
		}
		if len(rows) > maxSelection {
			return nil, nil, badRequest{fmt.Sprintf("More than %s rows match; narrow the search or filters first.", thousands(maxSelection))}
		}
		keys := make([][]any, len(rows))
		texts := make([][]string, len(rows))
		for i, r := range rows {
			keys[i] = make([]any, len(m.PK))
			texts[i] = make([]string, len(m.PK))
			for j, c := range m.PK {
				texts[i][j] = r[j].Text
				keys[i][j], err = records.Parse(c, r[j].Text)
				if err != nil {
					return nil, nil, err
				}
			}
		}
		return keys, texts, nil
	}
	sel := form["_selected"]
	if len(sel) > maxSelection {
		return nil, nil, badRequest{fmt.Sprintf("Select at most %s rows.", thousands(maxSelection))}
	}
	var keys [][]any
	var texts [][]string
	for _, s := range sel {
		k, _, err := m.DecodeKey(s)
		if err != nil {
			return nil, nil, badRequest{"A selected row's key is not valid: " + err.Error() + "."}
		}
		keys, texts = append(keys, k), append(texts, m.KeyParts(k))
	}
	return keys, texts, nil
}

// export streams the list's rows, with its search, filters and order, as
// CSV.
func (rq *request) export() {
	m := rq.m
	st, err := rq.parseList()
	if err != nil {
		rq.listError(err)
		return
	}
	var cols []*introspect.Column
	for _, c := range m.Columns {
		if c.Kind != introspect.KindBinary {
			cols = append(cols, c)
		}
	}
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(m.Name))
	m.Where(q, &st.List, nil)
	records.WriteOrder(q, st.Order, false)
	rows, err := rq.db.DB.QueryContext(rq.ctx(), q.String(), q.Args()...)
	if err != nil {
		rq.internal(err)
		return
	}
	defer rows.Close()
	w := rq.w
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, safeFilename(m.Name), time.Now().UTC().Format("20060102-150405")))
	cw := csv.NewWriter(w)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Name
	}
	_ = cw.Write(header)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	record := make([]string, len(cols))
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			rq.logErr(slog.LevelError, "admin: export", err, "table", m.Name)
			return
		}
		for i, c := range cols {
			v := records.ToCell(c, vals[i])
			record[i] = csvSafe(v.Text)
		}
		if err := cw.Write(record); err != nil {
			return // the client went away
		}
		if n++; n%1000 == 0 {
			cw.Flush()
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}
	if err := rows.Err(); err != nil {
		rq.logErr(slog.LevelError, "admin: export", err, "table", m.Name)
	}
	cw.Flush()
}

// csvSafe keeps spreadsheets from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// lookup answers the foreign-key picker: up to 20 rows of the table whose
// key or display value matches q, as JSON.
func (rq *request) lookup() {
	m := rq.m
	type item struct {
		Key   string `json:"key"`
		Label string `json:"label"`
	}
	out := []item{}
	if len(m.PK) != 1 {
		writeJSON(rq.w, out)
		return
	}
	term := strings.TrimSpace(rq.r.URL.Query().Get("q"))
	if err := textinput.Check("the search", term, records.MaxSearch); err != nil {
		framework.WriteError(rq.w, rq.r, http.StatusBadRequest, fieldError(err))
		return
	}
	cols := []*introspect.Column{m.PK[0]}
	if m.display != nil {
		cols = append(cols, m.display)
	}
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(m.Name))
	rq.scope(m, q)
	if term != "" {
		q.And().W("(")
		if m.display != nil {
			q.W(q.Fold(m.display), " LIKE ", q.Arg("%"+records.LikeEscape(strings.ToLower(term))+"%"), " ESCAPE '!' OR ")
		}
		q.W(q.Fold(m.PK[0]), " = ", q.Arg(strings.ToLower(term)), ")")
	}
	records.WriteOrder(q, []records.Order{{Col: cols[len(cols)-1]}}, false)
	q.W(" LIMIT 20")
	rows, err := q.Query(rq.ctx(), rq.db.DB, cols)
	if err != nil {
		rq.internal(err)
		return
	}
	for _, r := range rows {
		label := m.label + " #" + r[0].Text
		if len(r) > 1 && !r[1].Null {
			label = r[1].Text
		}
		out = append(out, item{Key: r[0].Text, Label: truncate(label, 80)})
	}
	writeJSON(rq.w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
