package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/records"
	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/queries"
)

// Resource serves one table as a REST resource (see Options.Resources):
//
//	GET    <prefix>/<table>/        list: filters, search, ordering, pages
//	POST   <prefix>/<table>/        create
//	GET    <prefix>/<table>/{key}   read
//	PATCH  <prefix>/<table>/{key}   change the fields sent
//	PUT    <prefix>/<table>/{key}   replace every writable field
//	DELETE <prefix>/<table>/{key}   delete
//
// Each needs the table's permission, as in the admin: <table>.view,
// .add, .change or .delete. A row's key is its primary-key values,
// comma-separated and query-escaped (see records.EncodeKey).
type Resource struct {
	// Table is the table's name. The framework's own tables (quarry_*)
	// are not served: the identity layer and the other features own them.
	Table string
	// Exclude are columns never read nor written (password hashes and
	// other secrets, records.SecretColumns, are excluded always).
	Exclude []string
	// ReadOnlyFields are answered but never written.
	ReadOnlyFields []string
	// Search are the columns search= looks in. Default: the first four
	// text columns.
	Search []string
	// Ordering is the default order, e.g. []string{"-created_at"}.
	// Default: the primary key, newest first.
	Ordering []string
	// Filter are the columns a list may filter on. Default: every
	// exposed column but JSON and binary ones.
	Filter []string
	// Expand are the single-column foreign keys expand= may follow.
	// Default: every one whose target table is a resource too.
	Expand []string
	// ReadOnly serves only the reads.
	ReadOnly bool
	// Public serves the reads (list and row) to anyone, logged in or
	// not, with no permission; writes still need theirs. Expanding into
	// another resource needs its view permission unless it is public too.
	Public bool
	// PerPage is the default page size (page_size= may ask for up to
	// MaxPageSize). Default: 50.
	PerPage int
}

// Limits of the resource API.
const (
	// MaxPageSize bounds page_size.
	MaxPageSize = 500
	// MaxExpandDepth bounds the dots of an expansion (author.country is
	// two), MaxExpansions the expansions of one request.
	MaxExpandDepth = 2
	MaxExpansions  = 10
	// CountCap bounds the exact count of numbered pages: past it count
	// is null.
	CountCap = 10_000
	// MaxPageOffset bounds the rows numbered pages skip: past it a list
	// is walked with its cursor, whose cost does not grow with depth.
	MaxPageOffset = 100_000
)

// resource is a Resource over its table.
type resource struct {
	Resource
	t       *records.Table
	path    string // prefix + "/" + table
	filter  map[string]bool
	expand  map[string]*expansion // by name
	perPage int
}

// expansion is a foreign key expand= may follow: its name is the
// column's without a trailing _id (author_id is author).
type expansion struct {
	name   string
	col    *introspect.Column
	target *resource
	ref    *introspect.Column
}

// resources are the tables an API serves.
type resources struct {
	o      Options
	byName map[string]*resource
	list   []*resource
	keys   *signing.Keyring
}

// newResources checks the options against the schema.
func newResources(o Options) (*resources, error) {
	if o.Schema == nil {
		return nil, errors.New("api: Options.Resources needs Options.Schema (introspect.Load of the app's database)")
	}
	rs := &resources{o: o, byName: map[string]*resource{}, keys: o.Keys}
	if rs.keys == nil {
		rs.keys = signing.Random()
	}
	prefix := strings.TrimRight(o.Prefix, "/")
	if prefix == "" {
		prefix = "/api"
	}
	var errs []string
	for _, r := range o.Resources {
		st, ok := o.Schema.Table(r.Table)
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("%s: no such table", r.Table))
			continue
		case strings.HasPrefix(r.Table, "quarry_") || slices.Contains(records.SecretTables, r.Table):
			errs = append(errs, fmt.Sprintf("%s: the framework's tables are not served as resources", r.Table))
			continue
		case rs.byName[r.Table] != nil:
			errs = append(errs, fmt.Sprintf("%s: listed twice", r.Table))
			continue
		case len(st.PrimaryKey) == 0:
			errs = append(errs, fmt.Sprintf("%s: a table without a primary key cannot be served", r.Table))
			continue
		}
		t, err := records.New(st, records.Options{Exclude: r.Exclude, ReadOnlyFields: r.ReadOnlyFields,
			Search: r.Search, Ordering: r.Ordering, ReadOnly: r.ReadOnly})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		// Binary columns have no JSON form here: they are left out.
		t.Columns = slices.DeleteFunc(t.Columns, func(c *introspect.Column) bool { return c.Kind == introspect.KindBinary })
		t.VersionKey = rs.keys.Sign("records.version", []byte(r.Table))
		for _, c := range t.PK {
			if !records.Filterable(c) {
				errs = append(errs, fmt.Sprintf("%s: its key column %s is of a type (%s) a URL cannot name", r.Table, c.Name, c.Type))
			}
		}
		res := &resource{Resource: r, t: t, path: prefix + "/" + r.Table, filter: map[string]bool{}, expand: map[string]*expansion{}, perPage: r.PerPage}
		if res.perPage <= 0 {
			res.perPage = 50
		}
		if res.perPage > MaxPageSize {
			errs = append(errs, fmt.Sprintf("%s: PerPage %d is over %d", r.Table, r.PerPage, MaxPageSize))
		}
		if r.Filter == nil {
			for _, c := range t.Columns {
				if records.Filterable(c) {
					res.filter[c.Name] = true
				}
			}
		}
		for _, n := range r.Filter {
			if c, ok := t.Column(n); !ok || !records.Filterable(c) {
				errs = append(errs, fmt.Sprintf("%s: Filter: no column %q that filters", r.Table, n))
			}
			res.filter[n] = true
		}
		rs.byName[r.Table] = res
		rs.list = append(rs.list, res)
	}
	for _, res := range rs.list {
		names := res.Expand
		if names == nil {
			for _, c := range res.t.Columns {
				if fk, ok := res.t.FKs[c.Name]; ok && rs.byName[fk.RefTable] != nil {
					names = append(names, c.Name)
				}
			}
		}
		for _, n := range names {
			fk, isFK := res.t.FKs[n]
			c, exposed := res.t.Column(n)
			target := rs.byName[fk.RefTable]
			if !isFK || !exposed || target == nil {
				errs = append(errs, fmt.Sprintf("%s: Expand: %q is no exposed foreign key to a resource", res.Table, n))
				continue
			}
			ref, ok := target.t.Column(fk.RefColumns[0])
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: Expand: %q refers to %s.%s, which is excluded", res.Table, n, fk.RefTable, fk.RefColumns[0]))
				continue
			}
			name := strings.TrimSuffix(n, "_id")
			if name == n {
				name = n + "_ref"
			}
			if _, clash := res.t.Column(name); clash {
				errs = append(errs, fmt.Sprintf("%s: Expand: %q would be answered as %q, which is a column", res.Table, n, name))
				continue
			}
			res.expand[name] = &expansion{name: name, col: c, target: target, ref: ref}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("api: resources do not match the schema:\n  %s", strings.Join(errs, "\n  "))
	}
	return rs, nil
}

// mount registers the resources' routes on mux.
func (rs *resources) mount(mux *http.ServeMux) {
	for _, res := range rs.list {
		route := func(method, path, action string, fn func(*call)) {
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c := &call{rs: rs, res: res, w: w, r: r, jsonAPI: wantsJSONAPI(r)}
				if c.db = framework.DatabaseFrom(r.Context()); c.db == nil {
					framework.ServerError(w, r, rs.o.Logger, "api "+res.Table, errors.New("no database in the request's context (mount the API on the App's router)"))
					return
				}
				fn(c)
			})
			if action == "view" && res.Public {
				mux.Handle(method+" "+path, h)
				return
			}
			mux.Handle(method+" "+path, authhttp.JSONAnswers(rs.o.Require(res.Table+"."+action)(h)))
		}
		route(http.MethodGet, res.path+"/{$}", "view", (*call).list)
		route(http.MethodGet, res.path+"/{key}", "view", (*call).get)
		if res.t.ReadOnly {
			continue
		}
		route(http.MethodPost, res.path+"/{$}", "add", (*call).create)
		route(http.MethodPatch, res.path+"/{key}", "change", func(c *call) { c.update(false) })
		route(http.MethodPut, res.path+"/{key}", "change", func(c *call) { c.update(true) })
		route(http.MethodDelete, res.path+"/{key}", "delete", (*call).delete)
	}
}

// call is one request to a resource.
type call struct {
	rs      *resources
	res     *resource
	w       http.ResponseWriter
	r       *http.Request
	db      *framework.Database
	jsonAPI bool
}

// badRequest answers 400 with the problem of each parameter.
func (c *call) badRequest(errs FieldErrors) {
	writeProblem(c.w, c.r, http.StatusBadRequest, errs.Error(), errs)
}

func (c *call) internal(err error) {
	if framework.ClientGone(c.r, err) {
		return
	}
	framework.ServerError(c.w, c.r, c.rs.o.Logger, "api "+c.res.Table, err)
}

// paramErr records err in errs under param when it is the caller's
// (a records.Error) and reports true; it reports false for an error that
// is not (a 500).
func paramErr(errs FieldErrors, param string, err error) bool {
	var e *records.Error
	switch {
	case err == nil:
		return true
	case errors.As(err, &e):
		errs[param] = e.Msg
		return true
	}
	return false
}

// recordErr records err in errs under param: a records.Error's message,
// or the text of the parse error behind a bad parameter.
func recordErr(errs FieldErrors, param string, err error) {
	if !paramErr(errs, param, err) {
		errs[param] = err.Error()
	}
}

// cursor is what a cursor token carries: the ordering it was made for,
// the direction, and the boundary row's values.
type cursor struct {
	Ordering string `json:"o"`
	Before   bool   `json:"b,omitempty"`
	Values   string `json:"v"`
}

// cursorPurpose signs the cursors of one table.
func (c *call) cursorPurpose() string { return "api.cursor." + c.res.Table }

func (c *call) encodeCursor(ordering string, before bool, texts []string) string {
	b, _ := json.Marshal(cursor{Ordering: ordering, Before: before, Values: records.EncodeCursor(texts)})
	return c.rs.keys.SignString(c.cursorPurpose(), b64url(b))
}

// listParams are the reserved query parameters of a list; every other
// one is a filter.
var listParams = []string{"search", "ordering", "fields", "expand", "cursor", "page", "page_size"}

// list answers GET <prefix>/<table>/.
func (c *call) list() {
	res, t := c.res, c.res.t
	v := c.r.URL.Query()
	errs := FieldErrors{}
	l := &records.List{Limit: res.perPage}
	var order []records.Order
	page := 0
	var cur *cursor
	for name, vals := range v {
		if len(vals) > 1 {
			errs[name] = "given more than once"
			continue
		}
		val := vals[0]
		var err error
		switch name {
		case "search":
			l.Terms, err = records.SearchTerms(name, val)
		case "ordering":
			order, err = t.ParseOrder(name, val)
		case "fields", "expand":
			// read below, once the ordering is known
		case "cursor":
			cur, err = c.decodeCursor(val)
		case "page":
			if page, err = strconv.Atoi(val); err != nil || page < 1 {
				err = errors.New("a whole number from 1")
			}
		case "page_size":
			if l.Limit, err = strconv.Atoi(val); err != nil || l.Limit < 1 || l.Limit > MaxPageSize {
				err = fmt.Errorf("a whole number from 1 to %d", MaxPageSize)
			}
		default:
			col, op := name, ""
			if i := strings.LastIndex(name, "__"); i > 0 && !res.filter[name] {
				col, op = name[:i], name[i+2:]
			}
			if !res.filter[col] {
				err = fmt.Errorf("no such parameter: filters name a column (%s), parameters are %s", strings.Join(res.filterNames(), ", "), strings.Join(listParams, ", "))
				break
			}
			var f records.Filter
			if f, err = t.ParseFilter(col, op, val); err == nil {
				l.Filters = append(l.Filters, f)
			}
		}
		if err != nil {
			recordErr(errs, name, err)
		}
	}
	fields, ferr := c.fields(v.Get("fields"))
	if ferr != nil {
		errs["fields"] = ferr.Error()
	}
	exp, eerr := c.expansions(res, v.Get("expand"))
	if !paramErr(errs, "expand", eerr) {
		c.internal(eerr)
		return
	}
	l.Order = t.FullOrder(order)
	ordering := orderingText(l.Order)
	keyset := t.KeysetOK(c.db.Dialect, l.Order)
	switch {
	case len(errs) > 0:
	case cur != nil && page > 0:
		errs["page"] = "give page or cursor, not both"
	case cur != nil && (!keyset || cur.Ordering != ordering):
		errs["cursor"] = "made for another ordering: start again from the first page"
	case cur != nil:
		vals, err := records.DecodeCursor(l.Order, cur.Values)
		if err != nil {
			recordErr(errs, "cursor", err)
		} else if cur.Before {
			l.Before = vals
		} else {
			l.After = vals
		}
	}
	if len(errs) > 0 {
		c.badRequest(errs)
		return
	}
	if page == 0 && !keyset {
		page = 1 // an order no cursor can carry: numbered pages
	}
	if page > 0 {
		if int64(page-1)*int64(l.Limit) > MaxPageOffset {
			c.badRequest(FieldErrors{"page": fmt.Sprintf("numbered pages reach %d rows deep: walk further with the cursor of the next links", MaxPageOffset)})
			return
		}
		l.Offset = (page - 1) * l.Limit
	}
	l.Cols = res.projection(fields)
	p, err := t.Fetch(c.r.Context(), c.db.DB, c.db.Dialect, l)
	if err != nil {
		c.internal(err)
		return
	}
	objs := make([]*object, len(p.Rows))
	var rows []map[string]records.Cell // for expansions and relationships
	if c.jsonAPI || len(exp) > 0 {
		rows = make([]map[string]records.Cell, len(p.Rows))
	}
	shape := shapeOf(res.t.Columns, p.Cols, fields)
	for i, cells := range p.Rows {
		objs[i] = shape.object(cells)
		if rows != nil {
			rows[i] = make(map[string]records.Cell, len(cells))
			for j, col := range p.Cols {
				rows[i][col.Name] = cells[j]
			}
		}
	}
	items, included, err := c.answers(res, rows, objs, exp)
	if err != nil {
		c.internal(err)
		return
	}
	link := func(set ...string) any {
		q := c.r.URL.Query()
		q.Del("cursor")
		q.Del("page")
		for i := 0; i+1 < len(set); i += 2 {
			q.Set(set[i], set[i+1])
		}
		return framework.BasePath(c.r.Context()) + c.r.URL.Path + "?" + q.Encode()
	}
	var next, prev any
	var count any
	if page > 0 {
		if p.HasNext {
			next = link("page", strconv.Itoa(page+1))
		}
		if p.HasPrev {
			prev = link("page", strconv.Itoa(page-1))
		}
		n, err := t.Count(c.r.Context(), c.db.DB, c.db.Dialect, l, CountCap)
		if err != nil {
			c.internal(err)
			return
		}
		if n <= CountCap {
			count = n
		}
	} else if len(p.Rows) > 0 {
		if p.HasNext {
			next = link("cursor", c.encodeCursor(ordering, false, records.CursorTexts(p, p.Rows[len(p.Rows)-1], l.Order)))
		}
		if p.HasPrev {
			prev = link("cursor", c.encodeCursor(ordering, true, records.CursorTexts(p, p.Rows[0], l.Order)))
		}
	}
	if c.jsonAPI {
		doc := map[string]any{"data": items, "links": map[string]any{"next": next, "prev": prev}}
		if page > 0 {
			doc["meta"] = map[string]any{"count": count}
		}
		if included != nil {
			doc["included"] = included
		}
		writeJSONAPI(c.w, http.StatusOK, doc)
		return
	}
	// Written by hand: the rows keep their columns' order, and a list is
	// the answer most worth not reflecting over.
	buf := answerBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 1<<16 {
			answerBuffers.Put(buf)
		}
	}()
	b := append((*buf)[:0], `{"items":`...)
	b, err = appendValue(b, items)
	if err == nil {
		b = append(b, `,"next":`...)
		b, err = appendValue(b, next)
	}
	if err == nil {
		b = append(b, `,"previous":`...)
		b, err = appendValue(b, prev)
	}
	if err == nil && page > 0 {
		b = append(b, `,"count":`...)
		b, err = appendValue(b, count)
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	*buf = append(b, "}\n"...)
	_, _ = c.w.Write(*buf)
}

// answerBuffers hold lists' answers while they are written: a list is
// the answer most asked for, and its buffer the most of its garbage.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// projection is the columns a list reads for fields= (nil: all): those
// asked and the foreign keys expansions and JSON:API relationships are
// read from (Fetch adds the key and the order's columns).
func (res *resource) projection(fields map[string]bool) []*introspect.Column {
	if fields == nil {
		return res.t.Columns
	}
	var cols []*introspect.Column
	for _, col := range res.t.Columns {
		keep := fields[col.Name]
		for _, e := range res.expand {
			keep = keep || e.col == col
		}
		if keep {
			cols = append(cols, col)
		}
	}
	return cols
}

func (res *resource) filterNames() []string {
	var out []string
	for n := range res.filter {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// orderingText is an order as ordering= writes it.
func orderingText(order []records.Order) string {
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = o.Col.Name
		if o.Desc {
			parts[i] = "-" + parts[i]
		}
	}
	return strings.Join(parts, ",")
}

func (c *call) decodeCursor(token string) (*cursor, error) {
	bad := records.ErrCursor
	raw, err := c.rs.keys.Unsign(c.cursorPurpose(), token)
	if err != nil {
		return nil, bad
	}
	b, err := unb64url(raw)
	if err != nil {
		return nil, bad
	}
	var cur cursor
	if json.Unmarshal(b, &cur) != nil {
		return nil, bad
	}
	return &cur, nil
}

// fields reads fields=: the columns to answer (nil: all).
func (c *call) fields(text string) (map[string]bool, error) {
	if text == "" {
		return nil, nil
	}
	out := map[string]bool{}
	for n := range strings.SplitSeq(text, ",") {
		if _, ok := c.res.t.Column(n); !ok {
			return nil, fmt.Errorf("no field %q", n)
		}
		out[n] = true
	}
	return out, nil
}

// expandTree is what expand= asks, by expansion name.
type expandTree map[string]expandTree

// expansions reads expand=, such as author,author.country: each name an
// expansion of the resource it is reached from, the caller allowed to
// view its table.
func (c *call) expansions(res *resource, text string) (expandTree, error) {
	if text == "" {
		return nil, nil
	}
	paths := strings.Split(text, ",")
	if len(paths) > MaxExpansions {
		return nil, &records.Error{Field: "expand", Msg: fmt.Sprintf("at most %d expansions", MaxExpansions)}
	}
	tree := expandTree{}
	for _, p := range paths {
		names := strings.Split(p, ".")
		if len(names) > MaxExpandDepth {
			return nil, &records.Error{Field: "expand", Msg: fmt.Sprintf("%q: at most %d levels", p, MaxExpandDepth)}
		}
		at, node := res, tree
		for _, n := range names {
			e, ok := at.expand[n]
			if !ok {
				return nil, &records.Error{Field: "expand", Msg: fmt.Sprintf("%q: %s has no expansion %q (it has: %s)", p, at.Table, n, strings.Join(at.expandNames(), ", "))}
			}
			allowed := e.target.Public
			if !allowed {
				var err error
				if allowed, err = c.rs.o.Can(c.r, e.target.Table+".view"); err != nil {
					return nil, err // not the caller's: a 500
				}
			}
			if !allowed {
				return nil, &records.Error{Field: "expand", Msg: fmt.Sprintf("%q: expanding %s needs the permission %s.view", p, n, e.target.Table)}
			}
			if node[n] == nil {
				node[n] = expandTree{}
			}
			at, node = e.target, node[n]
		}
	}
	return tree, nil
}

func (res *resource) expandNames() []string {
	out := []string{}
	for n := range res.expand {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// answers turns rows, encoded as objs, into answers: objects (or JSON:API resource
// objects) with the fields asked and the expansions, each expansion's
// rows read in one query per level. included are the expanded rows of a
// JSON:API answer.
func (c *call) answers(res *resource, rows []map[string]records.Cell, objs []*object, tree expandTree) ([]any, []any, error) {
	var included []any
	if err := c.expand(res, rows, objs, tree, &included); err != nil {
		return nil, nil, err
	}
	out := make([]any, len(objs))
	seen := map[[2]string]bool{}
	for i, o := range objs {
		if c.jsonAPI {
			obj := jsonAPIObject(res, rows[i], o)
			seen[[2]string{res.Table, obj["id"].(string)}] = true
			out[i] = obj
		} else {
			out[i] = o
		}
	}
	// A JSON:API document holds each resource once: in data, or once in
	// included.
	unique := included[:0]
	for _, inc := range included {
		obj := inc.(map[string]any)
		k := [2]string{obj["type"].(string), obj["id"].(string)}
		if !seen[k] {
			seen[k] = true
			unique = append(unique, inc)
		}
	}
	if len(unique) == 0 {
		unique = nil
	}
	return out, unique, nil
}

// expand adds the expansions of tree to objs, the answers of rows.
func (c *call) expand(res *resource, rows []map[string]records.Cell, objs []*object, tree expandTree, included *[]any) error {
	for name, sub := range tree {
		e := res.expand[name]
		var vals []any
		seen := map[string]bool{}
		for _, r := range rows {
			cell := r[e.col.Name]
			if cell.Null || seen[cell.Text] {
				continue
			}
			seen[cell.Text] = true
			v, err := records.Parse(e.ref, cell.Text)
			if err != nil {
				return err
			}
			vals = append(vals, v)
		}
		byRef := map[string]map[string]records.Cell{}
		for start := 0; start < len(vals); start += records.MaxIn {
			q := records.NewSQL(c.db.Dialect)
			cols := e.target.t.Columns
			q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(e.target.Table))
			q.And()
			records.WriteFilter(q, records.Filter{Col: e.ref, Op: "in", Vals: vals[start:min(start+records.MaxIn, len(vals))]})
			found, err := q.Query(c.r.Context(), c.db.DB, cols)
			if err != nil {
				return err
			}
			for _, cells := range found {
				row := make(map[string]records.Cell, len(cells))
				for j, col := range cols {
					row[col.Name] = cells[j]
				}
				byRef[row[e.ref.Name].Text] = row
			}
		}
		var targets []map[string]records.Cell
		var targetObjs []*object
		index := map[string]*object{}
		for ref, row := range byRef {
			o := encodeRow(e.target.t, row, nil)
			index[ref] = o
			targets, targetObjs = append(targets, row), append(targetObjs, o)
		}
		if err := c.expand(e.target, targets, targetObjs, sub, included); err != nil {
			return err
		}
		for i, r := range rows {
			cell := r[e.col.Name]
			if c.jsonAPI {
				continue // linked through relationships, the rows in included
			}
			if cell.Null || index[cell.Text] == nil {
				objs[i].set(name, nil)
			} else {
				objs[i].set(name, index[cell.Text])
			}
		}
		if c.jsonAPI {
			for i, row := range targets {
				*included = append(*included, jsonAPIObject(e.target, row, targetObjs[i]))
			}
		}
	}
	return nil
}

// encodeRow is a row's JSON object: each exposed column (those of fields
// when set) with its value in the JSON type of its kind (appendCell).
func encodeRow(t *records.Table, row map[string]records.Cell, fields map[string]bool) *object {
	cells := make([]records.Cell, len(t.Columns))
	for i, c := range t.Columns {
		cells[i] = row[c.Name]
	}
	return shapeOf(t.Columns, t.Columns, fields).object(cells)
}

// cellValue is a cell's JSON value, written by appendCell.
func cellValue(c *introspect.Column, v records.Cell) any {
	if v.Null {
		return nil
	}
	return cellJSON{c, v.Text}
}

// cellJSON is a column's value as the API answers it.
type cellJSON struct {
	col  *introspect.Column
	text string
}

// MarshalJSON implements json.Marshaler.
func (c cellJSON) MarshalJSON() ([]byte, error) { return appendCell(nil, c), nil }

// appendCell appends a cell's JSON: numbers for integers and floats,
// booleans, JSON as itself, a decimal as a string (exact), a date and
// time as RFC 3339 in UTC, everything else as its text.
func appendCell(b []byte, c cellJSON) []byte {
	v := c.text
	switch c.col.Kind {
	case introspect.KindInt:
		if isInteger(v) {
			return append(b, v...)
		}
	case introspect.KindFloat:
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return append(b, "null"...) // PostgreSQL's NaN and Infinity have no JSON number
		}
		if err == nil {
			return strconv.AppendFloat(b, f, 'g', -1, 64)
		}
	case introspect.KindBool:
		return strconv.AppendBool(b, v == "true")
	case introspect.KindJSON:
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(v)) == nil {
			return append(b, buf.Bytes()...)
		}
	case introspect.KindDecimal:
		return appendString(b, records.DecimalText(c.col, v))
	case introspect.KindDateTime:
		if len(v) > 10 && !strings.ContainsAny(v[10:], "Z+-") {
			b = appendString(b, v)
			return append(b[:len(b)-1], 'Z', '"')
		}
	}
	return appendString(b, v)
}

// isInteger reports whether s is a JSON integer as databases write one.
func isInteger(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// get answers GET <prefix>/<table>/{key}.
func (c *call) get() {
	key, ok := c.key()
	if !ok {
		return
	}
	fields, err := c.fields(c.r.URL.Query().Get("fields"))
	errs := FieldErrors{}
	if err != nil {
		errs["fields"] = err.Error()
	}
	tree, err := c.expansions(c.res, c.r.URL.Query().Get("expand"))
	if !paramErr(errs, "expand", err) {
		c.internal(err)
		return
	}
	for name := range c.r.URL.Query() {
		if name != "fields" && name != "expand" {
			errs[name] = "no such parameter (a row takes fields and expand)"
		}
	}
	if len(errs) > 0 {
		c.badRequest(errs)
		return
	}
	row, err := c.res.t.Get(c.r.Context(), c.db.DB, c.db.Dialect, key, false, nil)
	if errors.Is(err, queries.ErrNotFound) {
		writeProblem(c.w, c.r, http.StatusNotFound, "no "+c.res.Table+" row has this key", nil)
		return
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.answerRow(http.StatusOK, row, fields, tree)
}

// answerRow answers one row with its ETag (its version).
func (c *call) answerRow(status int, row map[string]records.Cell, fields map[string]bool, tree expandTree) {
	items, included, err := c.answers(c.res, []map[string]records.Cell{row}, []*object{encodeRow(c.res.t, row, fields)}, tree)
	if err != nil {
		c.internal(err)
		return
	}
	c.w.Header().Set("ETag", `"`+c.res.t.Version(row)+`"`)
	if c.jsonAPI {
		doc := map[string]any{"data": items[0]}
		if included != nil {
			doc["included"] = included
		}
		writeJSONAPI(c.w, status, doc)
		return
	}
	framework.WriteJSON(c.w, status, items[0])
}

// key decodes the {key} path segment, answering 404 when it is no key of
// the table.
func (c *call) key() ([]any, bool) {
	key, _, err := c.res.t.DecodeKey(c.r.PathValue("key"))
	if err != nil {
		writeProblem(c.w, c.r, http.StatusNotFound, "no "+c.res.Table+" row has this key", nil)
		return nil, false
	}
	return key, true
}
