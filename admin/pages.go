package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/quarry-go/quarry/framework/audit"
	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/queries"
)

type indexPage struct {
	*base
	Groups     []navGroup
	ShowRecent bool
	Recent     []recentAction
}

type recentAction struct {
	When, Who, Action, Table, Object, URL string
}

// index lists the tables the user may view, grouped, with row counts.
func (rq *request) index() {
	b := rq.base("Site administration")
	b.Crumbs = nil
	p := indexPage{base: b, Groups: slices.Clone(b.Nav)}
	for gi := range p.Groups {
		g := &p.Groups[gi]
		g.Tables = slices.Clone(g.Tables)
		for ti := range g.Tables {
			t := &g.Tables[ti]
			m, ok := rq.st.models[t.Name]
			if !ok {
				continue // a report
			}
			if m.managed { // the media library: its ready files
				if n, err := rq.count(m, func(q *records.SQL) { q.And().W(q.Ident("status"), " = ", q.Arg(string(media.Ready))) }, countCap); err == nil {
					t.Count = thousands(min(n, countCap))
					if n > countCap {
						t.Count += "+"
					}
				}
				continue
			}
			if est := rq.estimate(m); est > countCap && !rq.scoped(m) {
				t.Count = "~" + thousands(est)
			} else if n, err := rq.count(m, nil, countCap); err == nil {
				t.Count = thousands(n)
				if n > countCap {
					t.Count = thousands(countCap) + "+"
				}
			}
		}
	}
	if audit, ok := rq.st.models[auditTable]; ok && rq.can("view", audit) {
		p.ShowRecent = true
		logs, err := rq.recentActions(audit, 10)
		if err != nil {
			rq.internal(err)
			return
		}
		var actors []records.Cell
		for _, l := range logs {
			actors = append(actors, l.actor)
		}
		names := rq.usernames(actors)
		for _, l := range logs {
			when := l.when
			if t, err := records.ParseDateTime(when); err == nil {
				when = t.Format("2006-01-02 15:04")
			}
			ra := recentAction{When: when, Who: names[l.actor.Text], Action: l.action, Table: l.table, Object: l.objectID}
			if m, ok := rq.st.models[l.table]; ok && rq.can("view", m) && l.objectID != "" && (l.action != "admin.delete" || m.managed) {
				ra.URL = rq.rowURL(m, l.objectID, "change")
				if m.managed && m.Name == mediaTable {
					ra.URL = rq.mediaURL(url.PathEscape(l.objectID) + "/")
				}
			}
			p.Recent = append(p.Recent, ra)
		}
	}
	rq.render(http.StatusOK, "index", p)
}

// usernames returns the usernames of the actors (user ids, as cells) by
// id text; "—" for none.
func (rq *request) usernames(actors []records.Cell) map[string]string {
	names := map[string]string{"": "—"}
	q := rq.db.Dialect.Queries(rq.db.DB)
	for _, a := range actors {
		if _, ok := names[a.Text]; ok || a.Null {
			continue
		}
		id, err := strconv.ParseInt(a.Text, 10, 64)
		if err == nil {
			var u queries.QuarryUser
			if u, err = q.UserGetByID(rq.ctx(), id); err == nil {
				names[a.Text] = u.Username
				continue
			}
		}
		names[a.Text] = "(deleted user)"
	}
	return names
}

type historyPage struct {
	*base
	Label   string
	Row     string
	Back    string
	Entries []historyEntry
}

type historyEntry struct {
	When, Who, Action string
	Changes           []fieldChange
}

type fieldChange struct {
	Field, Before, After  string
	BeforeNull, AfterNull bool
}

// history shows the audit log of one row: who changed what, when.
func (rq *request) history() {
	m := rq.m
	key, ok := rq.keyFromPath()
	if !ok {
		return
	}
	keyText := m.KeyText(key) // canonical, as the audit log records it
	title := m.label + " " + keyText
	if row, err := rq.loadRow(rq.db.DB, key, false); err == nil {
		title = m.rowLabel(row)
		keyText = rq.m.RowKey(row)
	}
	logs, err := audit.ListForObject(rq.ctx(), rq.db, m.Name, keyText, 200)
	if err != nil {
		rq.internal(err)
		return
	}
	actors := make([]records.Cell, len(logs))
	for i, l := range logs {
		actors[i] = records.Cell{Text: strconv.FormatInt(l.ActorID.Int64, 10), Null: !l.ActorID.Valid}
	}
	names := rq.usernames(actors)
	p := historyPage{Label: m.label, Row: title, Back: rq.rowURL(m, keyText, "change")}
	for i, l := range logs {
		e := historyEntry{When: l.CreatedAt.UTC().Format(time.DateTime) + " UTC", Who: names[actors[i].Text], Action: l.Action}
		var changes map[string][2]*string
		if err := json.Unmarshal([]byte(l.Changes), &changes); err == nil {
			fields := make([]string, 0, len(changes))
			for f := range changes {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			for _, f := range fields {
				c := changes[f]
				fc := fieldChange{Field: f, BeforeNull: c[0] == nil, AfterNull: c[1] == nil}
				if c[0] != nil {
					fc.Before = truncate(*c[0], 300)
				}
				if c[1] != nil {
					fc.After = truncate(*c[1], 300)
				}
				e.Changes = append(e.Changes, fc)
			}
		}
		p.Entries = append(p.Entries, e)
	}
	p.base = rq.base("History: "+title, crumb{m.label, rq.tableURL(m)}, crumb{title, p.Back}, crumb{"History", ""})
	rq.render(http.StatusOK, "history", p)
}
