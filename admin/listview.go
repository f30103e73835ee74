package admin

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework/introspect"
)

type listPage struct {
	*base
	Label       string
	URL         string
	PostURL     string // the list with its current query, where bulk actions post
	Search      string
	SearchOn    string
	CanAdd      bool
	CanDelete   bool
	CanChange   bool
	AddURL      string
	ExportURL   string
	Actions     []actionChoice
	Headers     []header
	Rows        []listRow
	Facets      []facet
	Count       string
	Exact       int64
	Prev, Next  string
	First, Last string
	Pages       []pageLink
	PerPage     []pageLink
	Hidden      []hiddenField // the query as hidden fields for the search form
	Filtered    bool
	ClearURL    string
	Selectable  bool
}

type actionChoice struct{ Name, Label string }

type header struct {
	Label    string
	SortURL  string
	Dir      string // "asc", "desc" or ""
	Priority int
	Numeric  bool
}

type listRow struct {
	Key   string
	URL   string
	Cells []displayCell
}

type displayCell struct {
	Text  string
	Title string
	Class string
	Link  string
	Thumb string // a file of the media library's thumbnail
}

type facet struct {
	Label   string
	Options []facetOption
	Note    string
}

type facetOption struct {
	Label    string
	URL      string
	Count    string
	Selected bool
}

type pageLink struct {
	Label   string
	URL     string
	Current bool
}

type hiddenField struct{ Name, Value string }

// link returns the list URL for params.
func (rq *request) link(params url.Values) string {
	if len(params) == 0 {
		return rq.tableURL(rq.m)
	}
	return rq.tableURL(rq.m) + "?" + params.Encode()
}

// with returns a copy of v with each key set to its value ("" deletes a
// paging key; a filter keeps the empty value, which can be a real one).
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" && !strings.HasPrefix(kv[i], "f.") {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}

func (rq *request) list() {
	m := rq.m
	st, err := rq.parseList()
	if err != nil {
		rq.listError(err)
		return
	}
	res, err := rq.fetch(st)
	if err != nil {
		rq.internal(err)
		return
	}
	if len(res.Rows) == 0 && st.page > 1 {
		rq.listError(errPageNotFound)
		return
	}
	var countText string
	var exact int64
	if st.page == 1 && st.After == nil && st.Before == nil && !st.Last && !res.HasNext {
		// The page holds every matching row: no count query needed.
		exact = int64(len(res.Rows))
		countText = rowsText(exact)
	} else if countText, exact, err = rq.rowCount(st); err != nil {
		rq.internal(err)
		return
	}
	p := listPage{base: rq.base(m.label, crumb{m.label, ""}), Label: m.label, URL: rq.tableURL(m),
		PostURL: rq.link(st.params), Search: st.q, CanAdd: rq.can("add", m), CanDelete: rq.can("delete", m), CanChange: rq.can("change", m),
		AddURL: rq.tableURL(m) + "add/", Count: countText, Exact: exact, Filtered: len(st.params) > 0 && (st.q != "" || len(st.Filters) > 0)}
	p.ExportURL = rq.tableURL(m) + "export.csv"
	if enc := st.params.Encode(); enc != "" {
		p.ExportURL += "?" + enc
	}
	p.ClearURL = rq.link(with(url.Values{}, "o", st.params.Get("o"), "n", st.params.Get("n")))
	var names []string
	for _, c := range m.Search {
		names = append(names, c.Name)
	}
	p.SearchOn = strings.Join(names, ", ")
	for k, vs := range st.params {
		if k != "q" {
			p.Hidden = append(p.Hidden, hiddenField{k, vs[0]})
		}
	}
	slices.SortFunc(p.Hidden, func(a, b hiddenField) int { return strings.Compare(a.Name, b.Name) })
	if p.CanDelete {
		p.Actions = append(p.Actions, actionChoice{"delete", "Delete selected " + m.label})
	}
	for _, a := range m.actions {
		perm := a.Permission
		if perm == "" {
			perm = "change"
		}
		if rq.can(perm, m) || perm == "view" {
			p.Actions = append(p.Actions, actionChoice{a.Name, a.Label})
		}
	}
	p.Selectable = len(p.Actions) > 0 && len(m.PK) > 0
	rq.headers(&p, st)
	rq.rows(&p, st, res)
	rq.pagination(&p, st, res)
	p.Facets = rq.facets(st)
	rq.render(200, "list", p)
}

func (rq *request) headers(p *listPage, st *listState) {
	for _, c := range rq.m.list {
		_, isFK := rq.m.FKs[c.Name]
		h := header{Label: c.Name, Numeric: !isFK && (c.Kind == introspect.KindInt || c.Kind == introspect.KindFloat || c.Kind == introspect.KindDecimal)}
		pos := -1
		if st.custom {
			pos = slices.IndexFunc(st.Order, func(t records.Order) bool { return t.Col == c })
		}
		var terms []string
		if pos >= 0 {
			h.Priority = pos + 1
			h.Dir = map[bool]string{true: "desc", false: "asc"}[st.Order[pos].Desc]
		}
		// Clicking makes the column the first sort key (toggling its
		// direction if it already was), keeping the others after it.
		first := c.Name
		if pos == 0 && !st.Order[0].Desc {
			first = "-" + c.Name
		}
		terms = append(terms, first)
		if st.custom {
			for _, t := range strings.Split(st.params.Get("o"), ",") {
				if strings.TrimPrefix(t, "-") != c.Name && len(terms) < 5 {
					terms = append(terms, t)
				}
			}
		}
		if c.Kind != introspect.KindBinary && c.Kind != introspect.KindJSON {
			h.SortURL = rq.link(with(st.params, "o", strings.Join(terms, ",")))
		}
		p.Headers = append(p.Headers, h)
	}
}

func (rq *request) rows(p *listPage, st *listState, res *records.Page) {
	m := rq.m
	labels := map[string]map[string]string{}
	thumbs := map[string]map[string]string{}
	for _, c := range m.list {
		fk, ok := m.FKs[c.Name]
		if !ok {
			continue
		}
		i := slices.Index(res.Cols, c)
		var vals []string
		for _, r := range res.Rows {
			if !r[i].Null && !slices.Contains(vals, r[i].Text) {
				vals = append(vals, r[i].Text)
			}
		}
		labels[c.Name] = rq.fkLabels(rq.ctx(), fk, vals)
		if rq.mediaPicks(fk) {
			thumbs[c.Name] = rq.mediaCells(vals)
		}
	}
	for _, r := range res.Rows {
		row := listRow{}
		if len(m.PK) > 0 {
			row.Key = records.EncodeKey(keyTexts(m, res.Cols, r))
			row.URL = rq.rowPage(m, row.Key)
		}
		for j, c := range m.list {
			v := r[slices.Index(res.Cols, c)]
			dc := displayCell{Text: v.Text, Class: "k-" + strings.ReplaceAll(c.Kind.String(), " ", "-")}
			switch {
			case v.Null:
				dc.Text, dc.Class = "—", dc.Class+" null"
			case c.Kind == introspect.KindBool:
				dc.Text = map[string]string{"true": "✔ yes", "false": "✘ no"}[v.Text]
				dc.Class += " b-" + v.Text
			case labels[c.Name] != nil:
				dc.Text, dc.Class = labels[c.Name][v.Text], "fk"
				if target, ok := rq.st.models[m.FKs[c.Name].RefTable]; ok && rq.can("view", target) {
					dc.Link = rq.refURL(target, v.Text)
				}
				dc.Thumb = thumbs[c.Name][v.Text]
			case c.Kind == introspect.KindDateTime:
				if t, err := records.ParseDateTime(v.Text); err == nil {
					dc.Text = t.Format(records.DateTimeDisplay)
				}
			}
			if utf8.RuneCountInString(dc.Text) > 80 {
				dc.Title = dc.Text
				dc.Text = string([]rune(dc.Text)[:79]) + "…"
			}
			if j == 0 && row.URL != "" && dc.Link == "" {
				dc.Link = row.URL
			}
			row.Cells = append(row.Cells, dc)
		}
		p.Rows = append(p.Rows, row)
	}
}

func (rq *request) pagination(p *listPage, st *listState, res *records.Page) {
	cursor := func(row []records.Cell) string {
		texts := make([]string, len(st.Order))
		for i, t := range st.Order {
			texts[i] = row[slices.Index(res.Cols, t.Col)].Text
		}
		return records.EncodeCursor(texts)
	}
	for _, n := range perPageChoices {
		p.PerPage = append(p.PerPage, pageLink{Label: strconv.Itoa(n), URL: rq.link(with(st.params, "n", strconv.Itoa(n))), Current: n == st.perPage})
	}
	if st.keyset {
		if res.HasPrev && len(res.Rows) > 0 {
			p.First = rq.link(st.params)
			p.Prev = rq.link(with(st.params, "before", cursor(res.Rows[0])))
		}
		if res.HasNext && len(res.Rows) > 0 {
			p.Next = rq.link(with(st.params, "after", cursor(res.Rows[len(res.Rows)-1])))
			p.Last = rq.link(with(st.params, "last", "1"))
		}
		return
	}
	if st.page > 1 {
		p.First = rq.link(st.params)
		p.Prev = rq.link(with(st.params, "p", strconv.Itoa(st.page-1)))
	}
	if res.HasNext {
		p.Next = rq.link(with(st.params, "p", strconv.Itoa(st.page+1)))
	}
	if p.Exact >= 0 {
		pages := int((p.Exact + int64(st.perPage) - 1) / int64(st.perPage))
		if res.HasNext {
			p.Last = rq.link(with(st.params, "p", strconv.Itoa(pages)))
		}
		for i := max(1, st.page-3); pages > 1 && i <= min(pages, st.page+3); i++ {
			p.Pages = append(p.Pages, pageLink{Label: strconv.Itoa(i), URL: rq.link(with(st.params, "p", strconv.Itoa(i))), Current: i == st.page})
		}
	}
}

// facets builds the filter sidebar, with counts when the table has at most
// facetCountLimit rows.
func (rq *request) facets(st *listState) []facet {
	m := rq.m
	// Each facet counts the rows matching the other filters, so what it
	// costs depends on the table's size, not on this page's count.
	size := rq.estimate(m)
	if size < 0 {
		n, err := rq.count(m, nil, facetCountLimit)
		if err != nil {
			n = facetCountLimit + 1
		}
		size = n
	}
	counted := size <= facetCountLimit
	var out []facet
	for _, c := range m.filters {
		f := facet{Label: c.Name}
		base := urlWithout(st.params, c.Name)
		// An option is active when the column's filters are exactly its own.
		active := func(kv ...string) bool {
			for i := 0; i+1 < len(kv); i += 2 {
				if st.params.Get(kv[i]) != kv[i+1] {
					return false
				}
			}
			return len(st.params)-len(base) == len(kv)/2
		}
		add := func(label string, cond func(*records.SQL), kv ...string) {
			o := facetOption{Label: label, URL: rq.link(with(base, kv...)), Selected: active(kv...)}
			if counted && cond != nil {
				n, err := rq.count(m, func(q *records.SQL) {
					m.Where(q, &st.List, c)
					q.And()
					cond(q)
				}, countCap)
				if err == nil {
					o.Count = thousands(n)
					if n > countCap {
						o.Count = thousands(countCap) + "+"
					}
				}
			}
			f.Options = append(f.Options, o)
		}
		f.Options = append(f.Options, facetOption{Label: "All", URL: rq.link(base), Selected: active()})
		key := "f." + c.Name
		isNull := func(want string) func(*records.SQL) {
			return func(q *records.SQL) { records.WriteFilter(q, records.Filter{Col: c, Op: "isnull", Val: want == "1"}) }
		}
		eq := func(v any) func(*records.SQL) {
			return func(q *records.SQL) { records.WriteFilter(q, records.Filter{Col: c, Val: v}) }
		}
		_, isFK := m.FKs[c.Name]
		switch {
		case c.Kind == introspect.KindBool:
			add("Yes", eq(true), key, "true")
			add("No", eq(false), key, "false")
		case c.Kind == introspect.KindDate || c.Kind == introspect.KindDateTime:
			now := time.Now().UTC()
			today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
			ranges := []struct {
				label    string
				from, to time.Time
			}{
				{"Today", today, today.AddDate(0, 0, 1)},
				{"Past 7 days", today.AddDate(0, 0, -6), today.AddDate(0, 0, 1)},
				{"This month", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)},
				{"This year", time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC), time.Date(now.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)},
			}
			for _, r := range ranges {
				from, to := r.from.Format(records.DateLayout), r.to.Format(records.DateLayout)
				gte, _ := m.ParseFilter(c.Name, "gte", from)
				lt, _ := m.ParseFilter(c.Name, "lt", to)
				add(r.label, func(q *records.SQL) {
					records.WriteFilter(q, gte)
					q.W(" AND ")
					records.WriteFilter(q, lt)
				}, key+"__gte", from, key+"__lt", to)
			}
		case c.Kind == introspect.KindEnum && !counted:
			for _, v := range c.Enum {
				add(v, nil, key, v)
			}
		case counted:
			rq.valueFacet(&f, st, c, isFK, key)
		case isFK:
			rq.targetFacet(&f, st, c, key)
		default:
			f.Note = "Too many rows to list values."
		}
		if c.Nullable {
			add("None", isNull("1"), key+"__isnull", "1")
		}
		out = append(out, f)
	}
	return out
}

// valueFacet lists the column's most frequent values with their counts.
func (rq *request) valueFacet(f *facet, st *listState, c *introspect.Column, isFK bool, key string) {
	m := rq.m
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ", q.Ident(c.Name), ", COUNT(*) FROM ", q.Ident(m.Name))
	m.Where(q, &st.List, c)
	q.And().W(q.Ident(c.Name), " IS NOT NULL GROUP BY ", q.Ident(c.Name), " ORDER BY COUNT(*) DESC, ", q.Ident(c.Name), " LIMIT 21")
	countCol := &introspect.Column{Name: "count", Kind: introspect.KindInt}
	rows, err := q.Query(rq.ctx(), rq.db.DB, []*introspect.Column{c, countCol})
	if err != nil {
		rq.logErr(slog.LevelWarn, "admin: facet values", err, "table", m.Name, "column", c.Name)
		return
	}
	if len(rows) > 20 {
		rows = rows[:20]
		f.Note = "Showing the 20 most frequent values."
	}
	var labels map[string]string
	if isFK {
		var vals []string
		for _, r := range rows {
			vals = append(vals, r[0].Text)
		}
		labels = rq.fkLabels(context.WithoutCancel(rq.ctx()), m.FKs[c.Name], vals)
	}
	for _, r := range rows {
		label := r[0].Text
		if labels != nil {
			label = labels[label]
		}
		if utf8.RuneCountInString(label) > 40 {
			label = string([]rune(label)[:39]) + "…"
		}
		n, _ := strconv.ParseInt(r[1].Text, 10, 64)
		o := facetOption{Label: label, URL: rq.link(with(urlWithout(st.params, c.Name), key, r[0].Text)), Count: thousands(n)}
		o.Selected = st.params.Get(key) == r[0].Text
		f.Options = append(f.Options, o)
	}
}

// urlWithout returns v without the filters on col.
func urlWithout(v url.Values, col string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k != "f."+col && !strings.HasPrefix(k, "f."+col+"__") {
			out[k] = vs
		}
	}
	return out
}

// targetFacet lists the rows of a small foreign-key target, without
// counts, when the table is too large to count its values.
func (rq *request) targetFacet(f *facet, st *listState, c *introspect.Column, key string) {
	fk := rq.m.FKs[c.Name]
	target, ok := rq.st.models[fk.RefTable]
	if !ok || !rq.can("view", target) {
		f.Note = "Too many rows to list values."
		return
	}
	ref, _ := target.Schema.Column(fk.RefColumns[0])
	n, err := rq.count(target, nil, 50)
	if err != nil || n > 50 {
		f.Note = "Too many values to list; filter with f." + c.Name + "=… in the address."
		return
	}
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ", q.Ident(ref.Name), " FROM ", q.Ident(target.Name))
	rq.scope(target, q)
	records.WriteOrder(q, []records.Order{{Col: ref}}, false)
	rows, err := q.Query(rq.ctx(), rq.db.DB, []*introspect.Column{ref})
	if err != nil {
		f.Note = "Too many rows to list values."
		return
	}
	vals := make([]string, len(rows))
	for i, r := range rows {
		vals[i] = r[0].Text
	}
	labels := rq.fkLabels(rq.ctx(), fk, vals)
	for _, v := range vals {
		f.Options = append(f.Options, facetOption{Label: truncate(labels[v], 40), URL: rq.link(with(urlWithout(st.params, c.Name), key, v)), Selected: st.params.Get(key) == v})
	}
}
