package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/textinput"
)

const (
	// maxSearch and maxFilter bound a search's and a filter value's
	// characters.
	maxSearch = 200
	maxFilter = 1000
	// countCap bounds exact counts: past it a list says "more than".
	countCap = 10_000
	// facetCountLimit is the table size up to which facets show counts.
	facetCountLimit = 100_000
	// maxOffset bounds offset pagination.
	maxOffset = 10_000_000
	// maxSelection bounds the rows one bulk action works on.
	maxSelection = 10_000
)

// filter is one condition from the list's URL: f.<col>[__op]=<value>.
type filter struct {
	col  *introspect.Column
	op   string // "", "isnull", "gte", "lt"
	text string
	val  any
}

// listState is a list page's query: search, filters, order and position.
type listState struct {
	q       string
	terms   []string
	filters []filter
	order   []orderTerm // as asked, then the primary key as tie-breaker
	custom  bool        // order came from the URL
	perPage int
	page    int // offset pagination, from 1
	after   []any
	before  []any
	last    bool
	keyset  bool
	params  url.Values // q, o, n and filters, for building links
}

// badRequest is an error in a list's parameters, shown with status 400.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func (rq *request) parseList() (*listState, error) {
	m := rq.m
	v := rq.r.URL.Query()
	st := &listState{perPage: m.perPage, page: 1, params: url.Values{}}
	if q := strings.TrimSpace(v.Get("q")); q != "" {
		if err := textinput.Check("the search", q, maxSearch); err != nil {
			return nil, badRequest{fieldError(err)}
		}
		st.q = q
		st.terms = strings.Fields(q)
		if len(st.terms) > 10 {
			st.terms = st.terms[:10]
		}
		st.params.Set("q", q)
	}
	if n := v.Get("n"); n != "" {
		pp, err := strconv.Atoi(n)
		if err != nil || pp != m.perPage && !slices.Contains(perPageChoices, pp) {
			return nil, badRequest{fmt.Sprintf("Rows per page must be one of %v.", perPageChoices)}
		}
		st.perPage = pp
		st.params.Set("n", n)
	}
	if o := v.Get("o"); o != "" {
		for _, term := range strings.Split(o, ",") {
			name := strings.TrimPrefix(term, "-")
			c, ok := m.column(name)
			if !ok || c.Kind == introspect.KindBinary || c.Kind == introspect.KindJSON {
				return nil, badRequest{fmt.Sprintf("Cannot sort by %q: no such column.", name)}
			}
			if slices.ContainsFunc(st.order, func(t orderTerm) bool { return t.col == c }) || len(st.order) >= 5 {
				return nil, badRequest{"Sort by at most five different columns."}
			}
			st.order = append(st.order, orderTerm{col: c, desc: strings.HasPrefix(term, "-")})
		}
		st.custom = true
		st.params.Set("o", o)
	} else {
		st.order = slices.Clone(m.ordering)
	}
	for _, c := range m.pk {
		if !slices.ContainsFunc(st.order, func(t orderTerm) bool { return t.col == c }) {
			st.order = append(st.order, orderTerm{col: c, desc: len(st.order) > 0 && st.order[len(st.order)-1].desc})
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "f.") {
			continue
		}
		name, op, _ := strings.Cut(strings.TrimPrefix(k, "f."), "__")
		c, ok := m.column(name)
		if !ok {
			return nil, badRequest{fmt.Sprintf("Cannot filter on %q: no such column.", name)}
		}
		text := v.Get(k)
		if err := textinput.Check("filter f."+c.Name, text, maxFilter); err != nil {
			return nil, badRequest{fieldError(err)}
		}
		f := filter{col: c, op: op, text: text}
		switch op {
		case "isnull":
			if text != "1" && text != "0" {
				return nil, badRequest{fmt.Sprintf("Filter %s: isnull takes 1 or 0.", name)}
			}
		case "", "gte", "lt":
			if !editable(c) && c.Kind != introspect.KindOther {
				return nil, badRequest{fmt.Sprintf("Cannot filter on %q.", name)}
			}
			val, err := parseFilterValue(c, text)
			if err != nil {
				return nil, badRequest{fmt.Sprintf("Filter %s: %s.", name, err)}
			}
			f.val = val
		default:
			return nil, badRequest{fmt.Sprintf("Filter %s: unknown operator %q (use isnull, gte or lt).", name, op)}
		}
		st.filters = append(st.filters, f)
		st.params.Set(k, text)
	}
	st.keyset = len(m.pk) > 0
	for _, t := range st.order {
		st.keyset = st.keyset && !t.col.Nullable && keysetKind(rq.db.Dialect.Capabilities(), t.col.Kind)
	}
	if p := v.Get("p"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, badRequest{"The page number must be a whole number from 1."}
		}
		if int64(n-1)*int64(st.perPage) > maxOffset {
			return nil, errPageNotFound
		}
		st.page = n
	}
	var err error
	if a := v.Get("after"); a != "" {
		if st.after, err = decodeCursor(st, a); err != nil {
			return nil, err
		}
	}
	if b := v.Get("before"); b != "" {
		if st.before, err = decodeCursor(st, b); err != nil {
			return nil, err
		}
	}
	st.last = v.Get("last") == "1"
	return st, nil
}

var errPageNotFound = errors.New("that page does not exist")

// keysetKind reports whether a column of kind can carry a keyset cursor:
// its value reads back exactly as text and compares in the database in the
// order ORDER BY sorts it. Not so for floats, for decimals, enums and
// datetimes where the database says otherwise (MySQL decimals are compared
// with text as doubles, MySQL enums sorted by position, SQLite datetimes
// compared as text in whichever format they were stored), and for long or
// structured values; lists ordered by those use numbered pages.
func keysetKind(c dialects.Capabilities, k introspect.Kind) bool {
	switch k {
	case introspect.KindInt, introspect.KindText, introspect.KindUUID, introspect.KindDate, introspect.KindBool:
		return true
	case introspect.KindDecimal:
		return c.ExactDecimalCompare
	case introspect.KindEnum:
		return c.OrderedEnumCompare
	case introspect.KindDateTime:
		return c.OrderedDatetimeCompare
	}
	return false
}

func parseFilterValue(c *introspect.Column, text string) (any, error) {
	if c.Kind == introspect.KindDateTime && len(text) == len(dateLayout) {
		return parseDate(text)
	}
	if c.Kind == introspect.KindText || c.Kind == introspect.KindLongText {
		return text, nil // checked by parseList
	}
	return parseValue(c, text)
}

func encodeCursor(texts []string) string {
	b, _ := json.Marshal(texts)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(st *listState, token string) ([]any, error) {
	bad := badRequest{"The page link is not valid any more; start again from the first page."}
	if !st.keyset || len(token) > 4096 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	var texts []string
	if err := json.Unmarshal(raw, &texts); err != nil || len(texts) != len(st.order) {
		return nil, bad
	}
	vals := make([]any, len(texts))
	for i, t := range st.order {
		v, err := parseValue(t.col, texts[i])
		if err != nil {
			return nil, bad
		}
		vals[i] = v
	}
	return vals, nil
}

// where writes the WHERE clause of the list's search and filters, leaving
// out the filters on skip (for a facet's own counts), within the rows the
// user may see.
func (rq *request) where(st *listState, q *query, skip *introspect.Column) {
	m := rq.m
	rq.scope(m, q)
	var conds []func()
	for _, term := range st.terms {
		if len(m.search) == 0 {
			break
		}
		pattern := "%" + likeEscape(strings.ToLower(term)) + "%"
		conds = append(conds, func() {
			q.w("(")
			for i, c := range m.search {
				if i > 0 {
					q.w(" OR ")
				}
				q.w(q.fold(c), " LIKE ", q.arg(pattern), " ESCAPE '!'")
			}
			q.w(")")
		})
	}
	for _, f := range st.filters {
		if f.col == skip {
			continue
		}
		conds = append(conds, func() { writeFilter(q, f) })
	}
	for _, c := range conds {
		q.and()
		c()
	}
}

func writeFilter(q *query, f filter) {
	col := q.ident(f.col.Name)
	switch f.op {
	case "isnull":
		if f.text == "1" {
			q.w(col, " IS NULL")
		} else {
			q.w(col, " IS NOT NULL")
		}
	case "gte":
		q.w(col, " >= ", q.typedArg(f.col, f.val))
	case "lt":
		q.w(col, " < ", q.typedArg(f.col, f.val))
	default:
		q.w(col, " = ", q.typedArg(f.col, f.val))
	}
}

func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// writeOrder writes ORDER BY, reversed when reverse is set.
func writeOrder(q *query, order []orderTerm, reverse bool) {
	q.w(" ORDER BY ")
	for i, t := range order {
		if i > 0 {
			q.w(", ")
		}
		q.w(q.ident(t.col.Name))
		if t.desc != reverse {
			q.w(" DESC")
		}
	}
}

// writeKeyset writes the condition for rows after (or, reversed, before)
// the cursor values in the list's order.
func writeKeyset(q *query, order []orderTerm, vals []any, reverse bool) {
	sameDir := true
	for _, t := range order {
		sameDir = sameDir && t.desc == order[0].desc
	}
	op := func(t orderTerm) string {
		if t.desc != reverse {
			return " < "
		}
		return " > "
	}
	if sameDir && len(order) > 1 {
		q.w("(")
		for i, t := range order {
			if i > 0 {
				q.w(", ")
			}
			q.w(q.ident(t.col.Name))
		}
		q.w(")", op(order[0]), "(")
		for i := range order {
			if i > 0 {
				q.w(", ")
			}
			q.w(q.arg(vals[i]))
		}
		q.w(")")
		return
	}
	q.w("(")
	for i, t := range order {
		if i > 0 {
			q.w(" OR ")
		}
		q.w("(")
		for j := range i {
			q.w(q.ident(order[j].col.Name), " = ", q.arg(vals[j]), " AND ")
		}
		q.w(q.ident(t.col.Name), op(t), q.arg(vals[i]), ")")
	}
	q.w(")")
}

// listResult is one page of rows.
type listResult struct {
	cols             []*introspect.Column // selected columns
	rows             [][]cell
	hasPrev, hasNext bool
}

// fetch reads the page of rows st asks for.
func (rq *request) fetch(st *listState) (*listResult, error) {
	m := rq.m
	cols := slices.Clone(m.list)
	for _, c := range m.pk {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	for _, t := range st.order {
		if !slices.Contains(cols, t.col) {
			cols = append(cols, t.col)
		}
	}
	q := newQuery(rq.db.Dialect)
	q.w("SELECT ").colList(cols).w(" FROM ", q.ident(m.name))
	rq.where(st, q, nil)
	cursor, reverse := st.after, false
	if st.before != nil {
		cursor, reverse = st.before, true
	}
	if st.last {
		reverse = true
	}
	if cursor != nil {
		q.and()
		writeKeyset(q, st.order, cursor, reverse)
	}
	writeOrder(q, st.order, reverse)
	q.w(" LIMIT ", strconv.Itoa(st.perPage+1))
	offset := 0
	if cursor == nil && !st.last && st.page > 1 {
		offset = (st.page - 1) * st.perPage
		q.w(" OFFSET ", strconv.Itoa(offset))
	}
	rows, err := queryCells(rq.ctx(), rq.db.DB, q, cols)
	if err != nil {
		return nil, err
	}
	res := &listResult{cols: cols}
	more := len(rows) > st.perPage
	if more {
		rows = rows[:st.perPage]
	}
	if reverse {
		slices.Reverse(rows)
		res.hasPrev, res.hasNext = more, !st.last
	} else {
		res.hasNext, res.hasPrev = more, cursor != nil || offset > 0
	}
	res.rows = rows
	return res, nil
}

// rowCount returns the number of rows st matches as shown to the user,
// and the exact count when it is known (-1 when not).
func (rq *request) rowCount(st *listState) (string, int64, error) {
	m := rq.m
	if len(st.terms) == 0 && len(st.filters) == 0 && !rq.scoped(m) {
		if est := rq.estimate(m); est > countCap {
			return "about " + thousands(est) + " rows", -1, nil
		}
	}
	n, err := rq.count(m, func(q *query) { rq.where(st, q, nil) }, countCap)
	if err != nil {
		return "", 0, err
	}
	if n > countCap {
		return "more than " + thousands(countCap) + " rows", -1, nil
	}
	return rowsText(n), n, nil
}

// rowsText is "1 row", "2 rows", "1,024 rows".
func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return thousands(n) + " rows"
}

// estimate returns the database's current estimate of the table's rows
// (-1 when it has none).
// It is read once per table per request.
func (rq *request) estimate(m *model) int64 {
	if est, ok := rq.estimates[m.name]; ok {
		return est
	}
	est, err := introspect.Estimate(rq.ctx(), rq.db.DB, rq.db.Dialect, m.name)
	if err != nil {
		est = -1
	}
	if rq.estimates == nil {
		rq.estimates = map[string]int64{}
	}
	rq.estimates[m.name] = est
	return est
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// keyTexts returns each row's primary key values as text.
func keyTexts(m *model, cols []*introspect.Column, row []cell) []string {
	out := make([]string, len(m.pk))
	for i, pk := range m.pk {
		out[i] = row[slices.Index(cols, pk)].Text
	}
	return out
}

// fkLabels returns the display labels of the target rows of the foreign
// key for the given values.
func (rq *request) fkLabels(ctx context.Context, fk introspect.ForeignKey, values []string) map[string]string {
	out := map[string]string{}
	target, ok := rq.st.models[fk.RefTable]
	if !ok || len(values) == 0 {
		return out
	}
	ref, ok := target.t.Column(fk.RefColumns[0])
	if !ok {
		return out
	}
	var args []any
	for _, v := range values {
		if val, err := parseValue(ref, v); err == nil {
			args = append(args, val)
		}
	}
	// Names of rows in a table the user may not view are not shown.
	if len(args) == 0 || target.display == nil || !rq.can("view", target) {
		for _, v := range values {
			out[v] = target.label + " #" + v
		}
		return out
	}
	q := newQuery(rq.db.Dialect)
	q.w("SELECT ", q.ident(ref.Name), ", ", q.ident(target.display.Name), " FROM ", q.ident(target.name))
	q.and().w(q.ident(ref.Name), " IN (")
	for i, a := range args {
		if i > 0 {
			q.w(", ")
		}
		q.w(q.arg(a))
	}
	q.w(")")
	rq.scope(target, q)
	rows, err := queryCells(ctx, rq.db.DB, q, []*introspect.Column{ref, target.display})
	if err != nil && ctx.Err() == nil {
		rq.logErr(slog.LevelWarn, "admin: foreign key labels", err, "table", target.name)
	}
	for _, r := range rows {
		out[r[0].Text] = r[1].Text
	}
	for _, v := range values {
		if out[v] == "" {
			out[v] = target.label + " #" + v
		}
	}
	return out
}

func (rq *request) listError(err error) {
	var br badRequest
	switch {
	case errors.As(err, &br):
		rq.fail(http.StatusBadRequest, br.msg)
	case errors.Is(err, errPageNotFound):
		rq.fail(http.StatusNotFound, "That page does not exist.")
	default:
		rq.internal(err)
	}
}
