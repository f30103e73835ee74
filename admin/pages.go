package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/quarry-go/quarry/framework/store"
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
			m := rq.st.models[t.Name]
			rq.m = m
			if est := rq.estimate(m); est > countCap {
				t.Count = "~" + thousands(est)
			} else if n, err := countCapped(rq.ctx(), rq.db.DB, rq.db.Dialect, m, func(*query) {}, countCap); err == nil {
				t.Count = thousands(n)
				if n > countCap {
					t.Count = thousands(countCap) + "+"
				}
			}
		}
	}
	rq.m = nil
	if audit, ok := rq.st.models["quarry_audit_log"]; ok && rq.can("view", audit) {
		p.ShowRecent = true
		logs, err := rq.db.Dialect.Queries(rq.db.DB).AuditLogListRecent(rq.ctx(), 10)
		if err != nil {
			rq.internal(err)
			return
		}
		names := rq.usernames(logs)
		for _, l := range logs {
			ra := recentAction{When: l.CreatedAt.UTC().Format("2006-01-02 15:04"), Who: names[l.ActorID.Int64], Action: l.Action, Table: l.TableName, Object: l.ObjectID}
			if m, ok := rq.st.models[l.TableName]; ok && rq.can("view", m) && l.ObjectID != "" && l.Action != "admin.delete" {
				ra.URL = rq.rowURL(m, l.ObjectID, "change")
			}
			p.Recent = append(p.Recent, ra)
		}
	}
	rq.render(http.StatusOK, "index", p)
}

func (rq *request) usernames(logs []store.QuarryAuditLog) map[int64]string {
	names := map[int64]string{0: "—"}
	q := rq.db.Dialect.Queries(rq.db.DB)
	for _, l := range logs {
		if _, ok := names[l.ActorID.Int64]; ok || !l.ActorID.Valid {
			continue
		}
		u, err := q.UserGetByID(rq.ctx(), l.ActorID.Int64)
		if err != nil {
			names[l.ActorID.Int64] = "(deleted user)"
			continue
		}
		names[l.ActorID.Int64] = u.Username
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
	keyText := rq.r.PathValue("key")
	title := m.label + " " + keyText
	if row, err := rq.loadRow(rq.db.DB, key, false); err == nil {
		title = m.rowLabel(row)
		keyText = rq.rowKey(row)
	}
	logs, err := rq.db.Dialect.Queries(rq.db.DB).AuditLogListForObject(rq.ctx(), store.AuditLogListForObjectParams{TableName: m.name, ObjectID: keyText, Limit: 200})
	if err != nil {
		rq.internal(err)
		return
	}
	names := rq.usernames(logs)
	p := historyPage{Label: m.label, Row: title, Back: rq.rowURL(m, keyText, "change")}
	for _, l := range logs {
		e := historyEntry{When: l.CreatedAt.UTC().Format(time.DateTime) + " UTC", Who: names[l.ActorID.Int64], Action: l.Action}
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
