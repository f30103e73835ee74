package admin

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/framework/api"
)

// Reports are named queries shown as pages (Options.Reports): the
// queries annotated in their SQL file with
//
//	-- quarry:admin "Top authors" perm=authors.view
//
// for which quarry gen writes the Reports of the app's types package. A
// report's page has its parameters as a form and its rows as a list
// sorted by any column and exported as CSV.

// reportsPath is where the report pages are served, under the admin:
// <prefix>/reports/<query>/, and ?format=csv for the export. They share
// the routes of the tables' pages (a table by that name is refused).
const reportsPath = "reports"

// reportRoute serves a request to a table route under reportsPath: a
// report's page or export, else 404.
func (rq *request) reportRoute() {
	if rq.r.Method != http.MethodGet || !strings.HasSuffix(rq.r.Pattern, "/{table}/{key}/{$}") {
		rq.fail(http.StatusNotFound, "There is no such page in the admin.")
		return
	}
	if rq.r.URL.Query().Get("format") == "csv" {
		rq.reportExport()
		return
	}
	rq.report()
}

// Limits of a report's rows.
const (
	reportShown  = 1000
	reportExport = 100_000
)

// checkReports fails on a report the admin cannot serve.
func checkReports(reports []api.Endpoint) error {
	var errs []string
	seen := map[string]bool{}
	for i, e := range reports {
		switch {
		case e.Query == "" || !actionNameOK(e.Query):
			errs = append(errs, fmt.Sprintf("Reports[%d]: query name %q is not letters, digits, - and _", i, e.Query))
		case seen[e.Query]:
			errs = append(errs, fmt.Sprintf("Reports[%d]: %s is listed twice", i, e.Query))
		case e.Title == "" || e.Permission == "" || e.Run == nil:
			errs = append(errs, fmt.Sprintf("Reports[%d] (%s): a report has a Title, a Permission and a Run (pass the generated Reports)", i, e.Query))
		case e.Kind != api.One && e.Kind != api.Many:
			errs = append(errs, fmt.Sprintf("Reports[%d] (%s): kind %s is no report (one or many)", i, e.Query, e.Kind))
		}
		for _, p := range e.Params {
			if p.In != api.InQuery {
				errs = append(errs, fmt.Sprintf("Reports[%d] (%s): parameter %s is read from the %s; a report's come from its form", i, e.Query, p.Name, p.In))
			}
		}
		seen[e.Query] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("admin: Options.Reports:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// canCode reports whether the user holds codename (change implies view).
func (rq *request) canCode(codename string) bool {
	if rq.perms == nil {
		return true
	}
	if table, ok := strings.CutSuffix(codename, ".view"); ok && rq.perms[table+".change"] {
		return true
	}
	return rq.perms[codename]
}

func (rq *request) reportURL(e api.Endpoint) string {
	return rq.prefix() + "/" + reportsPath + "/" + url.PathEscape(e.Query) + "/"
}

// reportsNav adds the reports the user may run to the navigation, after
// the app's tables and views (before the media library and the
// framework's tables).
func (rq *request) reportsNav(b *base) {
	var g navGroup
	for _, e := range rq.a.opts.Reports {
		if rq.canCode(e.Permission) {
			g.Tables = append(g.Tables, navTable{Name: reportsPath + "/" + e.Query, Label: e.Title, URL: rq.reportURL(e)})
		}
	}
	if len(g.Tables) == 0 {
		return
	}
	g.Name = "Reports"
	i := slices.IndexFunc(b.Nav, func(n navGroup) bool {
		return n.Name == mediaGroup || slices.ContainsFunc(n.Tables, func(t navTable) bool { m, ok := rq.st.models[t.Name]; return ok && m.framework })
	})
	if i < 0 {
		i = len(b.Nav)
	}
	b.Nav = slices.Insert(b.Nav, i, g)
}

type reportPage struct {
	*base
	Doc       string
	Fields    []formField
	Ran       bool
	FormError string
	Columns   []reportColumn
	Rows      [][]string
	Count     string
	ExportURL string
}

type reportColumn struct {
	Name, URL string
	Sorted    string // "asc", "desc" or ""
	Num       bool
}

// reportEndpoint finds the report named in the path, answering 404 or
// 403 itself when there is none the user may run.
func (rq *request) reportEndpoint() (api.Endpoint, bool) {
	name := rq.r.PathValue("key")
	i := slices.IndexFunc(rq.a.opts.Reports, func(e api.Endpoint) bool { return e.Query == name })
	if i < 0 {
		rq.fail(http.StatusNotFound, "There is no report by that name.")
		return api.Endpoint{}, false
	}
	e := rq.a.opts.Reports[i]
	if !rq.canCode(e.Permission) {
		rq.fail(http.StatusForbidden, "You do not have permission to run "+e.Title+" (it needs "+e.Permission+").")
		return api.Endpoint{}, false
	}
	return e, true
}

// runReport runs e with the request's parameters (its query string, less
// the page's own o and run): the columns and rows, the parameters'
// errors, or an error.
func (rq *request) runReport(e api.Endpoint) ([]string, [][]any, api.FieldErrors, error) {
	values := url.Values{}
	for k, v := range rq.r.URL.Query() {
		if k == "o" || k == "run" || k == "format" {
			continue
		}
		if len(v) == 1 && v[0] == "" && !slices.ContainsFunc(e.Params, func(p api.Param) bool { return p.Name == k && p.Type == "string" }) {
			continue // a field left empty: absent (null when the type allows)
		}
		values[k] = v
	}
	in := api.QueryInput(rq.r, e, values)
	out, err := e.Run(rq.ctx(), rq.db, in)
	if err == nil {
		err = in.Err()
	}
	var fe api.FieldErrors
	if errors.As(err, &fe) {
		return nil, nil, fe, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	cols, rows := api.Table(e, out)
	return cols, rows, nil, nil
}

// reportText is a value as a report shows and exports it.
func reportText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return string(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// compareValues orders two report values: nulls first, numbers by value,
// the rest by their text.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	fa, aerr := strconv.ParseFloat(reportText(a), 64)
	fb, berr := strconv.ParseFloat(reportText(b), 64)
	if aerr == nil && berr == nil {
		return cmp.Compare(fa, fb)
	}
	return strings.Compare(reportText(a), reportText(b))
}

// report shows a report's form and, once run, its rows.
func (rq *request) report() {
	e, ok := rq.reportEndpoint()
	if !ok {
		return
	}
	q := rq.r.URL.Query()
	p := reportPage{base: rq.base(e.Title, crumb{e.Title, ""}), Doc: e.Doc}
	run := len(e.Params) == 0 || q.Get("run") == "1"
	var cols []string
	var rows [][]any
	var ferrs api.FieldErrors
	status := http.StatusOK
	if run {
		var err error
		cols, rows, ferrs, err = rq.runReport(e)
		if err != nil {
			rq.internal(err)
			return
		}
		if len(ferrs) > 0 {
			status, run, p.FormError = http.StatusUnprocessableEntity, false, "Please correct the errors below."
		}
	}
	for _, prm := range e.Params {
		f := formField{Name: prm.Name, ID: "r-" + prm.Name, Widget: "text", Value: q.Get(prm.Name), Required: prm.Required, Error: ferrs[prm.Name], Type: prm.Type}
		switch strings.TrimPrefix(prm.Type, "sql.Null") {
		case "int64", "Int64", "int32", "Int32", "float64", "Float64":
			f.Widget, f.Step = "number", "any"
		case "bool", "Bool":
			f.Widget = "select"
			f.Options = []option{{Value: "", Label: "—"}, {Value: "true", Label: "Yes", Selected: f.Value == "true"}, {Value: "false", Label: "No", Selected: f.Value == "false"}}
		case "time.Time", "Time":
			f.Help = "YYYY-MM-DD HH:MM:SS, UTC"
		}
		p.Fields = append(p.Fields, f)
	}
	for name := range ferrs {
		if !slices.ContainsFunc(e.Params, func(x api.Param) bool { return x.Name == name }) {
			p.FormError = "Unknown parameter " + name + "."
		}
	}
	if run {
		p.Ran = true
		i, desc := orderReport(cols, rows, q.Get("o"))
		base := url.Values{}
		for k, v := range q {
			if k != "o" {
				base[k] = v
			}
		}
		base.Set("run", "1")
		for ci, c := range cols {
			col := reportColumn{Name: c}
			next := c
			if ci == i {
				col.Sorted = "asc"
				if desc {
					col.Sorted = "desc"
				} else {
					next = "-" + c
				}
			}
			col.URL = rq.reportURL(e) + "?" + with(base, "o", next).Encode()
			col.Num = len(rows) > 0 && slices.ContainsFunc(rows, func(r []any) bool { _, n := r[ci].(json.Number); return n })
			p.Columns = append(p.Columns, col)
		}
		for ri, r := range rows {
			if ri >= reportShown {
				break
			}
			texts := make([]string, len(r))
			for j, v := range r {
				texts[j] = reportText(v)
			}
			p.Rows = append(p.Rows, texts)
		}
		p.Count = rowsText(int64(len(rows)))
		if len(rows) > reportShown {
			p.Count += ", the first " + thousands(reportShown) + " shown (export them all)"
		}
		p.ExportURL = rq.reportURL(e) + "?" + with(q, "format", "csv").Encode()
	}
	rq.render(status, "report", p)
}

// orderReport sorts rows by ordering o (a column, -column descending) and
// returns the column's index (-1: unsorted) and direction.
func orderReport(cols []string, rows [][]any, o string) (int, bool) {
	i := slices.Index(cols, strings.TrimPrefix(o, "-"))
	if i < 0 {
		return -1, false
	}
	desc := strings.HasPrefix(o, "-")
	slices.SortStableFunc(rows, func(a, b []any) int {
		c := compareValues(a[i], b[i])
		if desc {
			return -c
		}
		return c
	})
	return i, desc
}

// reportExport answers a report's rows (sorted as its page) as CSV.
func (rq *request) reportExport() {
	e, ok := rq.reportEndpoint()
	if !ok {
		return
	}
	cols, rows, ferrs, err := rq.runReport(e)
	if err != nil {
		rq.internal(err)
		return
	}
	if len(ferrs) > 0 {
		rq.fail(http.StatusUnprocessableEntity, "The report's parameters are not valid: "+ferrs.Error()+".")
		return
	}
	orderReport(cols, rows, rq.r.URL.Query().Get("o"))
	rq.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	rq.w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(e.Query)+`.csv"`)
	cw := csv.NewWriter(rq.w)
	_ = cw.Write(cols)
	for ri, r := range rows {
		if ri >= reportExport {
			break
		}
		rec := make([]string, len(r))
		for j, v := range r {
			rec[j] = csvSafe(reportText(v))
		}
		if err := cw.Write(rec); err != nil {
			return // the client went away
		}
	}
	cw.Flush()
}
