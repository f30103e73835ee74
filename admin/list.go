package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework/introspect"
)

const (
	// countCap bounds exact counts: past it a list says "more than".
	countCap = 10_000
	// facetCountLimit is the table size up to which facets show counts.
	facetCountLimit = 100_000
	// maxSelection bounds the rows one bulk action works on.
	maxSelection = 10_000
)

// listState is a list page's query (the engine's List) and what the
// page needs besides: the search as typed, the page size and number, and
// the parameters for building links.
type listState struct {
	records.List
	q       string
	custom  bool // order came from the URL
	perPage int
	page    int // offset pagination, from 1
	keyset  bool
	params  url.Values // q, o, n and filters, for building links
}

// badRequest is an error in a list's parameters, shown with status 400.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

// inputError turns the engine's error about a parameter into a message.
func inputError(err error) error {
	var e *records.Error
	if errors.As(err, &e) {
		return badRequest{upperFirst(e.Msg) + "."}
	}
	return err
}

// parseList reads the list's URL: q (search), o (order), n (page size),
// p (page number), after/before/last (keyset cursor) and
// f.<col>[__lookup]=<value> (filters, see records.Lookups).
func (rq *request) parseList() (*listState, error) {
	m := rq.m
	v := rq.r.URL.Query()
	st := &listState{perPage: m.perPage, page: 1, params: url.Values{}}
	st.Scope = func(q *records.SQL) { rq.scope(m, q) }
	if q := strings.TrimSpace(v.Get("q")); q != "" {
		terms, err := records.SearchTerms("q", q)
		if err != nil {
			return nil, inputError(err)
		}
		st.q, st.Terms = q, terms
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
	var order []records.Order
	if o := v.Get("o"); o != "" {
		var err error
		if order, err = m.ParseOrder("o", o); err != nil {
			return nil, inputError(err)
		}
		st.custom = true
		st.params.Set("o", o)
	}
	st.Order = m.FullOrder(order)
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
		f, err := m.ParseFilter(name, op, v.Get(k))
		if err != nil {
			var e *records.Error
			if errors.As(err, &e) {
				return nil, badRequest{fmt.Sprintf("Filter %s: %s.", k, e.Msg)}
			}
			return nil, err
		}
		st.Filters = append(st.Filters, f)
		st.params.Set(k, f.Text)
	}
	st.keyset = m.KeysetOK(rq.db.Dialect, st.Order)
	if p := v.Get("p"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, badRequest{"The page number must be a whole number from 1."}
		}
		if int64(n-1)*int64(st.perPage) > records.MaxOffset {
			return nil, errPageNotFound
		}
		st.page = n
	}
	st.Limit, st.Offset = st.perPage, (st.page-1)*st.perPage
	var err error
	if a := v.Get("after"); a != "" {
		if st.After, err = st.cursor(a); err != nil {
			return nil, err
		}
	}
	if b := v.Get("before"); b != "" {
		if st.Before, err = st.cursor(b); err != nil {
			return nil, err
		}
	}
	st.Last = v.Get("last") == "1"
	return st, nil
}

// cursor decodes an after or before parameter.
func (st *listState) cursor(token string) ([]any, error) {
	if !st.keyset {
		return nil, inputError(records.ErrCursor)
	}
	vals, err := records.DecodeCursor(st.Order, token)
	return vals, inputError(err)
}

var errPageNotFound = errors.New("that page does not exist")

// fetch reads the page of rows st asks for: the list's columns.
func (rq *request) fetch(st *listState) (*records.Page, error) {
	st.Cols = rq.m.list
	return rq.m.Fetch(rq.ctx(), rq.db.DB, rq.db.Dialect, &st.List)
}

// rowCount returns the number of rows st matches as shown to the user,
// and the exact count when it is known (-1 when not).
func (rq *request) rowCount(st *listState) (string, int64, error) {
	m := rq.m
	if len(st.Terms) == 0 && len(st.Filters) == 0 && !rq.scoped(m) {
		if est := rq.estimate(m); est > countCap {
			return "about " + thousands(est) + " rows", -1, nil
		}
	}
	n, err := m.Count(rq.ctx(), rq.db.DB, rq.db.Dialect, &st.List, countCap)
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
	if est, ok := rq.estimates[m.Name]; ok {
		return est
	}
	est, err := introspect.Estimate(rq.ctx(), rq.db.DB, rq.db.Dialect, m.Name)
	if err != nil {
		est = -1
	}
	if rq.estimates == nil {
		rq.estimates = map[string]int64{}
	}
	rq.estimates[m.Name] = est
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
func keyTexts(m *model, cols []*introspect.Column, row []records.Cell) []string {
	out := make([]string, len(m.PK))
	for i, pk := range m.PK {
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
	ref, ok := target.Schema.Column(fk.RefColumns[0])
	if !ok {
		return out
	}
	var args []any
	for _, v := range values {
		if val, err := records.Parse(ref, v); err == nil {
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
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ", q.Ident(ref.Name), ", ", q.Ident(target.display.Name), " FROM ", q.Ident(target.Name))
	q.And().W(q.Ident(ref.Name), " IN (")
	for i, a := range args {
		if i > 0 {
			q.W(", ")
		}
		q.W(q.Arg(a))
	}
	q.W(")")
	rq.scope(target, q)
	rows, err := q.Query(ctx, rq.db.DB, []*introspect.Column{ref, target.display})
	if err != nil && ctx.Err() == nil {
		rq.logErr(slog.LevelWarn, "admin: foreign key labels", err, "table", target.Name)
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
