package codegen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/quarry-go/quarry/framework/api"
)

// EndpointsFile is the file of the generated endpoints, in the types
// package.
const EndpointsFile = "endpoints_gen.go"

// annotation is a query's quarry:endpoint line.
type annotation struct {
	Method, Path, Perm string
	Public             bool
	Line               string // as written, for messages
}

// sqlInfo is what codegen reads from a dialect's query files: each
// query's sqlc command (one, many, exec, ...) and its endpoint
// annotation, if any.
type sqlInfo struct {
	Kinds       map[string]string
	Annotations map[string]annotation
	// Reports are the queries' quarry:admin annotations.
	Reports map[string]report
}

// report is a query's quarry:admin line: a report page in the admin.
type report struct {
	Title, Perm string
	Line        string // as written, for messages
}

var (
	nameLine     = regexp.MustCompile(`^--\s*name:\s*(\w+)\s+:(\w+)`)
	endpointLine = regexp.MustCompile(`^--\s*quarry:endpoint\b(.*)$`)
	adminLine    = regexp.MustCompile(`^--\s*quarry:admin\b(.*)$`)
	reportArgs   = regexp.MustCompile(`^\s*"([^"\\]{1,100})"\s+perm=([A-Za-z0-9_]+\.[A-Za-z0-9_]+)\s*$`)
)

// readSQL reads the query files of dialect d.
func readSQL(p *pkgInfo) (*sqlInfo, error) {
	info := &sqlInfo{Kinds: map[string]string{}, Annotations: map[string]annotation{}, Reports: map[string]report{}}
	files := map[string]bool{}
	for _, m := range p.Methods {
		files[m.File] = true
	}
	for _, f := range sortedKeys(files) {
		path := queryPath(p.Dialect, f)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue // sqlc's output outlived its file: removeStale's business
		}
		if err != nil {
			return nil, err
		}
		var pending *annotation
		var pendingReport *report
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			t := strings.TrimSpace(sc.Text())
			if m := adminLine.FindStringSubmatch(t); m != nil {
				a := reportArgs.FindStringSubmatch(m[1])
				if a == nil {
					return nil, fmt.Errorf("%s:%d: quarry:admin %q: want -- quarry:admin \"Title\" perm=<table>.<action> (a report names the permission it needs)", path, n, strings.TrimSpace(m[1]))
				}
				pendingReport = &report{Title: a[1], Perm: a[2], Line: strings.Join(strings.Fields(m[1]), " ")}
				continue
			}
			if m := endpointLine.FindStringSubmatch(t); m != nil {
				a, err := parseAnnotation(m[1])
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %w", path, n, err)
				}
				a.Line = strings.Join(strings.Fields(m[1]), " ")
				pending = &a
				continue
			}
			if m := nameLine.FindStringSubmatch(t); m != nil {
				info.Kinds[m[1]] = strings.ToLower(m[2])
				if pending != nil {
					info.Annotations[m[1]] = *pending
					pending = nil
				}
				if pendingReport != nil {
					info.Reports[m[1]] = *pendingReport
					pendingReport = nil
				}
				continue
			}
			if (pending != nil || pendingReport != nil) && !strings.HasPrefix(t, "--") {
				return nil, fmt.Errorf("%s:%d: a quarry:endpoint or quarry:admin line must stand in the comment above a query's -- name: line", path, n)
			}
		}
		if pending != nil || pendingReport != nil {
			return nil, fmt.Errorf("%s: a quarry:endpoint or quarry:admin line is followed by no query", path)
		}
	}
	return info, nil
}

var (
	methods      = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	wildcard     = regexp.MustCompile(`\{([^}]*)\}`)
	codenameLine = regexp.MustCompile(`^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$`)
	pathChars    = regexp.MustCompile(`^(/[A-Za-z0-9._~{}-]+)+/?$`)
)

// parseAnnotation parses "METHOD /path (perm=codename | public)".
func parseAnnotation(s string) (annotation, error) {
	f := strings.Fields(s)
	usage := "want -- quarry:endpoint METHOD /path perm=<table>.<action> (or public): an endpoint names the permission it needs or says it is public"
	if len(f) != 3 {
		return annotation{}, fmt.Errorf("quarry:endpoint %q: %s", strings.TrimSpace(s), usage)
	}
	a := annotation{Method: f[0], Path: f[1]}
	switch {
	case !slices.Contains(methods, a.Method):
		return annotation{}, fmt.Errorf("quarry:endpoint %q: method %s is not one of %s", s, a.Method, strings.Join(methods, ", "))
	case !pathChars.MatchString(a.Path):
		return annotation{}, fmt.Errorf("quarry:endpoint %q: path %s: want /segments of letters, digits, ._~- and {wildcards}", s, a.Path)
	case f[2] == "public":
		a.Public = true
	case strings.HasPrefix(f[2], "perm=") && codenameLine.MatchString(strings.TrimPrefix(f[2], "perm=")):
		a.Perm = strings.TrimPrefix(f[2], "perm=")
	default:
		return annotation{}, fmt.Errorf("quarry:endpoint %q: %q: %s", s, f[2], usage)
	}
	for _, m := range wildcard.FindAllStringSubmatch(a.Path, -1) {
		if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(m[1]) {
			return annotation{}, fmt.Errorf("quarry:endpoint %q: wildcard {%s}: want a parameter's snake case name", s, m[1])
		}
	}
	return a, nil
}

// compareAnnotations reports the queries whose endpoint annotation differs
// between the first dialect and another.
func compareAnnotations(pkgs []*pkgInfo, infos []*sqlInfo) error {
	var problems []string
	for i := 1; i < len(pkgs); i++ {
		for _, name := range pkgs[0].order {
			a, aok := infos[0].Annotations[name]
			b, bok := infos[i].Annotations[name]
			switch {
			case aok != bok || a.Method != b.Method || a.Path != b.Path || a.Perm != b.Perm || a.Public != b.Public:
				problems = append(problems, fmt.Sprintf("query %s has endpoint %q in %s but %q in %s", name, a.Line,
					pkgs[0].Dialect.Name, b.Line, pkgs[i].Dialect.Name))
			}
			if ra, rb := infos[0].Reports[name], infos[i].Reports[name]; ra != rb {
				problems = append(problems, fmt.Sprintf("query %s has admin report %q in %s but %q in %s", name, ra.Line,
					pkgs[0].Dialect.Name, rb.Line, pkgs[i].Dialect.Name))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  - %s\nA query's quarry:endpoint and quarry:admin lines must be the same in every dialect.", ErrParity, strings.Join(problems, "\n  - "))
}

// endpointParam is one parameter of a generated endpoint.
type endpointParam struct {
	api.Param
	Field  string // the params struct's field, or "" for a scalar
	Getter string // the api.Input method
}

// getters are the Input methods for the parameter types endpoints take.
var getters = map[string]string{
	"string": "String", "int64": "Int64", "int32": "Int32", "float64": "Float64", "bool": "Bool", "time.Time": "Time",
	"sql.NullString": "NullString", "sql.NullInt64": "NullInt64", "sql.NullInt32": "NullInt32",
	"sql.NullFloat64": "NullFloat64", "sql.NullBool": "NullBool", "sql.NullTime": "NullTime",
}

// kinds maps sqlc's commands to the endpoint's kind of result.
var kinds = map[string]api.Kind{"one": api.One, "many": api.Many, "exec": api.Exec, "execrows": api.ExecRows, "execlastid": api.ExecLastID}

// endpointsFile renders the endpoints of the annotated queries of ref
// (the first dialect), or nil when there are none.
func endpointsFile(ref *pkgInfo, info *sqlInfo, pkg string) ([]byte, error) {
	if len(info.Annotations) == 0 && len(info.Reports) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, header, "the quarry:endpoint and quarry:admin annotations of the queries")
	fmt.Fprintf(&b, "package %s\n\nimport (\n\t\"context\"\n\n\t%q\n\t%q\n)\n\n", pkg, dialectsImport, apiImport)
	b.WriteString("// Endpoints are the queries annotated with quarry:endpoint, served by\n// api.Mount (see package github.com/quarry-go/quarry/framework/api).\nvar Endpoints = []api.Endpoint{\n")
	var problems []string
	b2, reportProblems := reportsSource(ref, info)
	problems = append(problems, reportProblems...)
	for _, name := range ref.order {
		a, ok := info.Annotations[name]
		if !ok {
			continue
		}
		src, err := endpointSource(ref, ref.Methods[name], a, info.Kinds[name])
		if err != nil {
			problems = append(problems, fmt.Sprintf("query %s (%s): %v", name, queryLoc(ref, ref.Methods[name]), err))
			continue
		}
		b.WriteString(src)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("quarry:endpoint:\n  - %s", strings.Join(problems, "\n  - "))
	}
	b.WriteString("}\n\n")
	b.WriteString(b2)
	return gofmt(EndpointsFile, &b)
}

// reportsSource renders the Reports variable: the queries annotated
// quarry:admin, as endpoints (their parameters read from the query
// string) with a Title and no route, for admin.Options.Reports.
func reportsSource(ref *pkgInfo, info *sqlInfo) (string, []string) {
	var b strings.Builder
	var problems []string
	b.WriteString("// Reports are the queries annotated with quarry:admin: report pages in\n// the admin (admin.Options.Reports).\nvar Reports = []api.Endpoint{\n")
	for _, name := range ref.order {
		r, ok := info.Reports[name]
		if !ok {
			continue
		}
		if k := info.Kinds[name]; k != "one" && k != "many" {
			problems = append(problems, fmt.Sprintf("query %s (%s): quarry:admin: its command :%s is no report (want :one or :many)", name, queryLoc(ref, ref.Methods[name]), k))
			continue
		}
		e, params, structArg, err := describe(ref, ref.Methods[name], annotation{Method: "GET", Perm: r.Perm}, info.Kinds[name])
		if err != nil {
			problems = append(problems, fmt.Sprintf("query %s (%s): quarry:admin: %v", name, queryLoc(ref, ref.Methods[name]), err))
			continue
		}
		e.Method, e.Title = "", r.Title
		b.WriteString(render(ref, ref.Methods[name], e, params, structArg))
	}
	b.WriteString("}\n")
	return b.String(), problems
}

// endpointSource renders one Endpoint literal.
func endpointSource(p *pkgInfo, m *method, a annotation, sqlcKind string) (string, error) {
	e, params, structArg, err := describe(p, m, a, sqlcKind)
	if err != nil {
		return "", err
	}
	return render(p, m, e, params, structArg), nil
}

// describe is the endpoint of annotated query m: its metadata (without
// Run), its parameters and the params struct they fill, if any.
func describe(p *pkgInfo, m *method, a annotation, sqlcKind string) (api.Endpoint, []endpointParam, *structDef, error) {
	fail := func(err error) (api.Endpoint, []endpointParam, *structDef, error) {
		return api.Endpoint{}, nil, nil, err
	}
	kind, ok := kinds[sqlcKind]
	if !ok {
		return fail(fmt.Errorf("its command :%s cannot be served (want :one, :many, :exec, :execrows or :execlastid)", sqlcKind))
	}
	body := a.Method == "POST" || a.Method == "PUT" || a.Method == "PATCH"
	var params []endpointParam
	add := func(goName, typ, field string) error {
		getter, ok := getters[typ]
		if !ok {
			return fmt.Errorf("parameter %s is a %s, which an endpoint cannot read (it reads %s)", goName, typ, strings.Join(sortedKeys(boolSet(getters)), ", "))
		}
		params = append(params, endpointParam{Param: api.Param{Name: api.SnakeCase(goName), Type: typ, Required: !strings.HasPrefix(typ, "sql.Null")},
			Field: field, Getter: getter})
		return nil
	}
	var structArg *structDef
	for _, prm := range m.Params {
		if s, ok := p.localStruct(prm.Type); ok && !strings.HasPrefix(prm.Type, "[]") {
			structArg = s
			for _, f := range s.Fields {
				if err := add(f.Name, f.Type, f.Name); err != nil {
					return fail(err)
				}
			}
			continue
		}
		if err := add(strings.ToUpper(prm.Name[:1])+prm.Name[1:], prm.Type, ""); err != nil {
			return fail(err)
		}
	}
	inPath := map[string]bool{}
	for _, w := range wildcard.FindAllStringSubmatch(a.Path, -1) {
		inPath[w[1]] = true
		if !slices.ContainsFunc(params, func(x endpointParam) bool { return x.Name == w[1] }) {
			return fail(fmt.Errorf("path wildcard {%s} names no parameter of the query (it has %s)", w[1], paramNames(params)))
		}
	}
	for i := range params {
		switch {
		case inPath[params[i].Name]:
			params[i].In, params[i].Required = api.InPath, true
		case body:
			params[i].In = api.InBody
		default:
			params[i].In = api.InQuery
		}
	}
	e := api.Endpoint{Query: m.Name, Doc: strings.TrimSpace(docWithout(m.Doc)), Method: a.Method, Path: a.Path, Permission: a.Perm, Kind: kind}
	for _, x := range params {
		e.Params = append(e.Params, x.Param)
	}
	if len(m.Results) == 2 {
		e.Result = m.Results[0]
		if s, ok := p.localStruct(e.Result); ok {
			for _, f := range s.Fields {
				e.ResultFields = append(e.ResultFields, api.Field{Name: api.SnakeCase(f.Name), Type: f.Type})
			}
		}
	}
	return e, params, structArg, nil
}

// render writes the Go literal of endpoint e of query m.
func render(p *pkgInfo, m *method, e api.Endpoint, params []endpointParam, structArg *structDef) string {
	result := e.Result
	a := annotation{Method: e.Method, Path: e.Path, Perm: e.Permission}
	kind := e.Kind
	var b strings.Builder
	fmt.Fprintf(&b, "\t{\n\t\tQuery: %q,\n", m.Name)
	if doc := strings.TrimSpace(docWithout(m.Doc)); doc != "" {
		fmt.Fprintf(&b, "\t\tDoc: %q,\n", doc)
	}
	if e.Title != "" {
		fmt.Fprintf(&b, "\t\tTitle: %q, Permission: %q, Kind: %q,\n", e.Title, a.Perm, kind)
	} else {
		fmt.Fprintf(&b, "\t\tMethod: %q, Path: %q, Permission: %q, Kind: %q,\n", a.Method, a.Path, a.Perm, kind)
	}
	b.WriteString("\t\tParams: []api.Param{\n")
	for _, x := range params {
		fmt.Fprintf(&b, "\t\t\t{Name: %q, In: %q, Type: %q, Required: %v},\n", x.Name, x.In, x.Type, x.Required)
	}
	b.WriteString("\t\t},\n")
	if result != "" {
		fmt.Fprintf(&b, "\t\tResult: %q,\n", result)
		if s, ok := p.localStruct(result); ok {
			b.WriteString("\t\tResultFields: []api.Field{")
			for i, f := range s.Fields {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "{Name: %q, Type: %q}", api.SnakeCase(f.Name), f.Type)
			}
			b.WriteString("},\n")
		}
	}
	b.WriteString("\t\tRun: func(ctx context.Context, h dialects.Handle, in *api.Input) (any, error) {\n")
	var args []string
	if structArg != nil {
		fmt.Fprintf(&b, "\t\t\targ := %s{\n", structArg.Name)
		for _, x := range params {
			fmt.Fprintf(&b, "\t\t\t\t%s: in.%s(%q),\n", x.Field, x.Getter, x.Name)
		}
		b.WriteString("\t\t\t}\n")
		args = append(args, "arg")
	} else {
		for i, x := range params {
			v := fmt.Sprintf("p%d", i)
			fmt.Fprintf(&b, "\t\t\t%s := in.%s(%q)\n", v, x.Getter, x.Name)
			args = append(args, v)
		}
	}
	if len(params) > 0 {
		b.WriteString("\t\t\tif err := in.Err(); err != nil {\n\t\t\t\treturn nil, err\n\t\t\t}\n")
	}
	call := fmt.Sprintf("Queries(h).%s(%s)", m.Name, strings.Join(append([]string{"ctx"}, args...), ", "))
	if result == "" {
		fmt.Fprintf(&b, "\t\t\treturn nil, %s\n", call)
	} else {
		fmt.Fprintf(&b, "\t\t\treturn %s\n", call)
	}
	b.WriteString("\t\t},\n\t},\n")
	return b.String()
}

// apiImport is the runtime of the generated endpoints.
const apiImport = "github.com/quarry-go/quarry/framework/api"

// docWithout is a query's doc without its quarry: lines.
func docWithout(doc string) string {
	var keep []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "quarry:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func paramNames(ps []endpointParam) string {
	if len(ps) == 0 {
		return "none"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func boolSet(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// Describe reads the sqlc output and query files of the config in opts
// (after sqlc ran) and returns the endpoints of the annotated queries,
// without their Run: what quarry openapi documents. It checks what
// Generate checks (parity, annotations).
func Describe(opts Options) ([]api.Endpoint, error) {
	if opts.Config == "" {
		opts.Config = "sqlc.yaml"
	}
	ds, err := ReadConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	var pkgs []*pkgInfo
	var infos []*sqlInfo
	for _, d := range ds {
		p, err := load(d)
		if err != nil {
			return nil, err
		}
		info, err := readSQL(p)
		if err != nil {
			return nil, err
		}
		pkgs, infos = append(pkgs, p), append(infos, info)
	}
	if len(pkgs) > 1 {
		if err := check(pkgs); err != nil {
			return nil, err
		}
		if err := compareAnnotations(pkgs, infos); err != nil {
			return nil, err
		}
	}
	var out []api.Endpoint
	var problems []string
	for _, name := range pkgs[0].order {
		a, ok := infos[0].Annotations[name]
		if !ok {
			continue
		}
		e, _, _, err := describe(pkgs[0], pkgs[0].Methods[name], a, infos[0].Kinds[name])
		if err != nil {
			problems = append(problems, fmt.Sprintf("query %s: %v", name, err))
			continue
		}
		out = append(out, e)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("quarry:endpoint:\n  - %s", strings.Join(problems, "\n  - "))
	}
	return out, nil
}
