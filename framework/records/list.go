package records

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/textinput"
	"github.com/quarry-go/quarry/queries"
)

// Limits on what a caller may ask of a list.
const (
	// MaxSearch bounds a search's characters, MaxTerms its words.
	MaxSearch = 200
	MaxTerms  = 10
	// MaxFilter bounds a filter value's characters, MaxIn the values of
	// an "in" lookup.
	MaxFilter = 1000
	MaxIn     = 100
	// MaxOrder bounds the columns of an order.
	MaxOrder = 5
	// MaxOffset bounds offset pagination.
	MaxOffset = 10_000_000
)

// Error is a caller's mistake in a list's parameters or a row's values:
// Field names the parameter or column, Msg says what is wrong (in lower
// case, no final period), ready to show beside it.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func inputErr(field, format string, a ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// Lookups are the filter operators, as in name__icontains=x. The empty
// lookup is exact.
var Lookups = []string{"exact", "iexact", "icontains", "istartswith", "iendswith", "gt", "gte", "lt", "lte", "in", "isnull"}

// Filter is one condition on a column.
type Filter struct {
	Col *introspect.Column
	// Op is one of Lookups ("" is exact).
	Op   string
	Text string
	Val  any   // the parsed value (a bool for isnull)
	Vals []any // the parsed values of in
}

// textKind reports whether the case-insensitive text lookups apply.
func textKind(c *introspect.Column) bool {
	switch c.Kind {
	case introspect.KindText, introspect.KindLongText, introspect.KindEnum, introspect.KindUUID:
		return true
	}
	return false
}

// ParseFilter checks a filter on the exposed column name: its lookup, and
// its value against the column. A date filters a date and time column
// from the start of that day (UTC).
func (t *Table) ParseFilter(name, op, text string) (Filter, error) {
	field := name
	if op != "" {
		field += "__" + op
	}
	c, ok := t.Column(name)
	if !ok {
		return Filter{}, inputErr(field, "no such column")
	}
	if err := textinput.Check("the value", text, MaxFilter); err != nil {
		return Filter{}, &Error{Field: field, Msg: err.Error()}
	}
	if op == "exact" {
		op = ""
	}
	f := Filter{Col: c, Op: op, Text: text}
	switch op {
	case "isnull":
		switch strings.ToLower(text) {
		case "1", "true":
			f.Val = true
		case "0", "false":
			f.Val = false
		default:
			return Filter{}, inputErr(field, "isnull takes true or false")
		}
		return f, nil
	case "iexact", "icontains", "istartswith", "iendswith":
		if !textKind(c) {
			return Filter{}, inputErr(field, "%s applies to text columns only", op)
		}
		f.Val = strings.ToLower(text)
		return f, nil
	case "", "gt", "gte", "lt", "lte", "in":
	default:
		return Filter{}, inputErr(field, "unknown lookup %q (use %s)", op, strings.Join(Lookups, ", "))
	}
	if !Filterable(c) {
		return Filter{}, inputErr(field, "this column cannot be filtered")
	}
	if op == "in" {
		parts := strings.Split(text, ",")
		if len(parts) > MaxIn {
			return Filter{}, inputErr(field, "at most %d values", MaxIn)
		}
		for _, p := range parts {
			v, err := filterValue(c, p)
			if err != nil {
				return Filter{}, inputErr(field, "%q: %s", p, err)
			}
			f.Vals = append(f.Vals, v)
		}
		return f, nil
	}
	v, err := filterValue(c, text)
	if err != nil {
		return Filter{}, &Error{Field: field, Msg: err.Error()}
	}
	f.Val = v
	return f, nil
}

// Filterable reports whether a column can be compared with a value:
// not binary, JSON or of a kind the engine has no text form for.
func Filterable(c *introspect.Column) bool {
	switch c.Kind {
	case introspect.KindBinary, introspect.KindJSON, introspect.KindOther:
		return false
	}
	return true
}

func filterValue(c *introspect.Column, text string) (any, error) {
	if c.Kind == introspect.KindDateTime && len(text) == len(DateLayout) {
		return ParseDate(text)
	}
	if c.Kind == introspect.KindText || c.Kind == introspect.KindLongText {
		return text, nil // a value longer than the column matches nothing
	}
	return Parse(c, text)
}

// ParseOrder reads an ordering such as "-created_at,id": exposed columns
// that sort (not binary, not JSON), at most MaxOrder, each once.
func (t *Table) ParseOrder(field, text string) ([]Order, error) {
	var out []Order
	for term := range strings.SplitSeq(text, ",") {
		name := strings.TrimPrefix(term, "-")
		c, ok := t.Column(name)
		if !ok || c.Kind == introspect.KindBinary || c.Kind == introspect.KindJSON {
			return nil, inputErr(field, "cannot sort by %q: no such column", name)
		}
		if slices.ContainsFunc(out, func(o Order) bool { return o.Col == c }) || len(out) >= MaxOrder {
			return nil, inputErr(field, "sort by at most %d different columns", MaxOrder)
		}
		out = append(out, Order{Col: c, Desc: strings.HasPrefix(term, "-")})
	}
	return out, nil
}

// SearchTerms splits a search into its words (at most MaxTerms).
func SearchTerms(field, q string) ([]string, error) {
	q = strings.TrimSpace(q)
	if err := textinput.Check("the search", q, MaxSearch); err != nil {
		return nil, &Error{Field: field, Msg: err.Error()}
	}
	terms := strings.Fields(q)
	if len(terms) > MaxTerms {
		terms = terms[:MaxTerms]
	}
	return terms, nil
}

// List is a list query.
type List struct {
	// Terms must each be found, case-insensitively, in one of the
	// table's Search columns.
	Terms   []string
	Filters []Filter
	// Order is the order of the rows: FullOrder's, total.
	Order []Order
	// Limit is the page size; Offset the rows skipped (numbered pages).
	Limit, Offset int
	// After or Before, when set, are a keyset cursor: the Order values of
	// the row the page starts after (or ends before).
	After, Before []any
	// Last asks for the last page.
	Last bool
	// Cols are the columns to read; the Order's and the key's are added.
	Cols []*introspect.Column
	// Scope, when set, adds to the WHERE clause (through And) the
	// condition on the rows the caller may see.
	Scope func(q *SQL)
}

// Page is one page of a list.
type Page struct {
	// Cols are the columns read, Rows the cells of each row in Cols.
	Cols             []*introspect.Column
	Rows             [][]Cell
	HasPrev, HasNext bool
}

// Where writes the WHERE clause of the list's scope, search and filters,
// leaving out the filters on skip (for a facet's own counts).
func (t *Table) Where(q *SQL, l *List, skip *introspect.Column) {
	if l.Scope != nil {
		l.Scope(q)
	}
	for _, term := range l.Terms {
		if len(t.Search) == 0 {
			break
		}
		if t.searchIndex != "" && utf8.RuneCountInString(term) >= 3 {
			// The search index (SQLite's FTS5 trigram table) answers a
			// quoted term as a substring, case-insensitively; it has no
			// trigram of a shorter one, which the LIKE below scans for.
			ix := q.Ident(t.searchIndex)
			q.And().W(q.Ident(t.Name), ".rowid IN (SELECT rowid FROM ", ix, " WHERE ", ix, " MATCH ",
				q.Arg(t.searchColumns+`"`+strings.ReplaceAll(term, `"`, `""`)+`"`), ")")
			continue
		}
		pattern := "%" + LikeEscape(strings.ToLower(term)) + "%"
		q.And().W("(")
		for i, c := range t.Search {
			if i > 0 {
				q.W(" OR ")
			}
			q.W(q.Fold(c), " LIKE ", q.Arg(pattern), " ESCAPE '!'")
		}
		q.W(")")
	}
	for _, f := range l.Filters {
		if f.Col != skip {
			q.And()
			WriteFilter(q, f)
		}
	}
}

// WriteFilter writes the condition of f.
func WriteFilter(q *SQL, f Filter) {
	col := q.Ident(f.Col.Name)
	// cmp and arg are the two sides of a comparison: date-times compare
	// as instants (Fragments.CompareTime), decimals exactly.
	cmp := func(expr string) string {
		if f.Col.Kind == introspect.KindDateTime {
			return q.d.CompareTime(expr)
		}
		return expr
	}
	arg := func(v any) string { return cmp(q.TypedArg(f.Col, v)) }
	like := func(pattern string) { q.W(q.Fold(f.Col), " LIKE ", q.Arg(pattern), " ESCAPE '!'") }
	switch f.Op {
	case "isnull":
		if f.Val == true {
			q.W(col, " IS NULL")
		} else {
			q.W(col, " IS NOT NULL")
		}
	case "iexact":
		like(LikeEscape(f.Val.(string)))
	case "icontains":
		like("%" + LikeEscape(f.Val.(string)) + "%")
	case "istartswith":
		like(LikeEscape(f.Val.(string)) + "%")
	case "iendswith":
		like("%" + LikeEscape(f.Val.(string)))
	case "in":
		q.W(cmp(col), " IN (")
		for i, v := range f.Vals {
			if i > 0 {
				q.W(", ")
			}
			q.W(arg(v))
		}
		q.W(")")
	default:
		op := map[string]string{"": " = ", "gt": " > ", "gte": " >= ", "lt": " < ", "lte": " <= "}[f.Op]
		q.W(cmp(col), op, arg(f.Val))
	}
}

// WriteOrder writes ORDER BY, reversed when reverse is set.
func WriteOrder(q *SQL, order []Order, reverse bool) {
	writeOrderOf(q, "", order, reverse)
}

// writeOrderOf writes ORDER BY on the columns of the table alias (none
// when "").
func writeOrderOf(q *SQL, alias string, order []Order, reverse bool) {
	q.W(" ORDER BY ")
	for i, t := range order {
		if i > 0 {
			q.W(", ")
		}
		if alias != "" {
			q.W(alias, ".")
		}
		q.W(q.Ident(t.Col.Name))
		if t.Desc != reverse {
			q.W(" DESC")
		}
	}
}

// writeKeyset writes the condition for rows after (or, reversed, before)
// the cursor values in the list's order.
func writeKeyset(q *SQL, order []Order, vals []any, reverse bool) {
	sameDir := true
	for _, t := range order {
		sameDir = sameDir && t.Desc == order[0].Desc
	}
	op := func(t Order) string {
		if t.Desc != reverse {
			return " < "
		}
		return " > "
	}
	if sameDir && len(order) > 1 {
		q.W("(")
		for i, t := range order {
			if i > 0 {
				q.W(", ")
			}
			q.W(q.Ident(t.Col.Name))
		}
		q.W(")", op(order[0]), "(")
		for i, t := range order {
			if i > 0 {
				q.W(", ")
			}
			q.W(q.TypedArg(t.Col, vals[i]))
		}
		q.W(")")
		return
	}
	q.W("(")
	for i, t := range order {
		if i > 0 {
			q.W(" OR ")
		}
		q.W("(")
		for j := range i {
			q.W(q.Ident(order[j].Col.Name), " = ", q.TypedArg(order[j].Col, vals[j]), " AND ")
		}
		q.W(q.Ident(t.Col.Name), op(t), q.TypedArg(t.Col, vals[i]), ")")
	}
	q.W(")")
}

// Fetch reads the page of rows l asks for.
func (t *Table) Fetch(ctx context.Context, db queries.DBTX, d dialects.Dialect, l *List) (*Page, error) {
	cols := slices.Clone(l.Cols)
	for _, c := range t.PK {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	for _, o := range l.Order {
		if !slices.Contains(cols, o.Col) {
			cols = append(cols, o.Col)
		}
	}
	cursor, reverse := l.After, false
	if l.Before != nil {
		cursor, reverse = l.Before, true
	}
	if l.Last {
		reverse = true
	}
	offset := 0
	if cursor == nil && !l.Last && l.Offset > 0 {
		offset = l.Offset
	}
	q := NewSQL(d)
	if offset > 0 && len(t.PK) > 0 {
		t.deferredJoin(q, l, cols, offset)
	} else {
		q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(t.Name))
		t.Where(q, l, nil)
		if cursor != nil {
			q.And()
			writeKeyset(q, l.Order, cursor, reverse)
		}
		WriteOrder(q, l.Order, reverse)
		q.W(" LIMIT ", strconv.Itoa(l.Limit+1))
		if offset > 0 {
			q.W(" OFFSET ", strconv.Itoa(offset))
		}
	}
	rows, err := q.Query(ctx, db, cols)
	if err != nil {
		return nil, err
	}
	p := &Page{Cols: cols}
	more := len(rows) > l.Limit
	if more {
		rows = rows[:l.Limit]
	}
	if reverse {
		slices.Reverse(rows)
		p.HasPrev, p.HasNext = more, !l.Last
	} else {
		p.HasNext, p.HasPrev = more, cursor != nil || offset > 0
	}
	p.Rows = rows
	return p, nil
}

// deferredJoin writes the SELECT of a numbered page past the first: the
// rows skipped are counted on the key alone, in a derived table the
// database can read from an index without touching the rows, and only
// the page's rows are then read by key. On a deep page of a large table
// this reads a few index pages instead of every skipped row. (A derived
// table rather than IN: MySQL allows no LIMIT in an IN subquery.)
func (t *Table) deferredJoin(q *SQL, l *List, cols []*introspect.Column, offset int) {
	q.W("SELECT ")
	for i, c := range cols {
		if i > 0 {
			q.W(", ")
		}
		q.W("r.", q.Ident(c.Name))
	}
	q.W(" FROM ", q.Ident(t.Name), " r JOIN (SELECT ").Cols(t.PK).W(" FROM ", q.Ident(t.Name))
	t.Where(q, l, nil)
	WriteOrder(q, l.Order, false)
	q.W(" LIMIT ", strconv.Itoa(l.Limit+1), " OFFSET ", strconv.Itoa(offset), ") k ON ")
	for i, c := range t.PK {
		if i > 0 {
			q.W(" AND ")
		}
		q.W("r.", q.Ident(c.Name), " = k.", q.Ident(c.Name))
	}
	writeOrderOf(q, "r", l.Order, false)
}

// Count counts the rows l selects, stopping at limit+1 so that a count
// over a huge table costs no more than reading limit rows.
func (t *Table) Count(ctx context.Context, db queries.DBTX, d dialects.Dialect, l *List, limit int) (int64, error) {
	q := NewSQL(d)
	q.W("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ", q.Ident(t.Name))
	t.Where(q, l, nil)
	q.W(" LIMIT ", strconv.Itoa(limit+1), ") capped")
	var n int64
	err := db.QueryRowContext(ctx, q.String(), q.Args()...).Scan(&n)
	return n, err
}

// KeysetOK reports whether the table's rows can be paged by a keyset
// cursor in order: the table has a key, and every column of the order is
// not null and of a kind that can carry one (see keysetKind).
func (t *Table) KeysetOK(d dialects.Dialect, order []Order) bool {
	ok := len(t.PK) > 0
	for _, o := range order {
		ok = ok && !o.Col.Nullable && keysetKind(d.Capabilities(), o.Col.Kind)
	}
	return ok
}

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

// CursorTexts are the texts of a page row's values in order: what
// EncodeCursor encodes.
func CursorTexts(p *Page, row []Cell, order []Order) []string {
	out := make([]string, len(order))
	for i, o := range order {
		out[i] = row[slices.Index(p.Cols, o.Col)].Text
	}
	return out
}

// EncodeCursor encodes a cursor's texts for a URL.
func EncodeCursor(texts []string) string {
	b, _ := json.Marshal(texts)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrCursor is a cursor that does not decode for the list's order.
var ErrCursor = &Error{Field: "cursor", Msg: "the page link is not valid any more; start again from the first page"}

// DecodeCursor decodes what EncodeCursor encoded into the values to bind
// for order.
func DecodeCursor(order []Order, token string) ([]any, error) {
	if len(token) > 4096 {
		return nil, ErrCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, ErrCursor
	}
	var texts []string
	if err := json.Unmarshal(raw, &texts); err != nil || len(texts) != len(order) {
		return nil, ErrCursor
	}
	vals := make([]any, len(texts))
	for i, o := range order {
		v, err := Parse(o.Col, texts[i])
		if err != nil {
			return nil, ErrCursor
		}
		vals[i] = v
	}
	return vals, nil
}
