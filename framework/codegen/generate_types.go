package codegen

import (
	"bytes"
	"fmt"
	"strings"
)

// typesFile renders the dialect-neutral package: DBTX, one interface per
// query file, Querier embedding them all, every struct and, unless
// dispatch is empty (the framework's own package), the dispatcher over
// the adapters it lists (see writeDispatcher).
func typesFile(ref *pkgInfo, pkg string, dispatch []adapterRef) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, header, "sqlc output")
	fmt.Fprintf(&b, "package %s\n\n", pkg)

	var exprs []string
	for _, s := range ref.Structs {
		for _, f := range s.Fields {
			exprs = append(exprs, f.Type)
		}
	}
	for _, m := range ref.Methods {
		for _, p := range m.Params {
			exprs = append(exprs, p.Type)
		}
		exprs = append(exprs, m.Results...)
	}
	std := map[string]bool{"context": true, "database/sql": true}
	if len(dispatch) > 0 {
		std["fmt"] = true
	}
	imports := sortedKeys(std)
	for _, ip := range ref.usedImports(exprs) {
		if !std[ip] {
			imports = append(imports, ip)
		}
	}
	b.WriteString("import (\n")
	for _, ip := range imports {
		fmt.Fprintf(&b, "\t%q\n", ip)
	}
	if len(dispatch) > 0 {
		fmt.Fprintf(&b, "\n\t%q\n", dialectsImport)
	}
	b.WriteString(")\n\n")

	b.WriteString(`// DBTX is what queries run on: a *sql.DB, *sql.Tx or *sql.Conn.
type DBTX interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

var _ DBTX = (*sql.DB)(nil)
var _ DBTX = (*sql.Tx)(nil)
var _ DBTX = (*sql.Conn)(nil)

`)
	// One interface per query file, and Querier embedding them all.
	var files []string
	byFile := map[string][]*method{}
	for _, name := range ref.order {
		m := ref.Methods[name]
		if _, ok := byFile[m.File]; !ok {
			files = append(files, m.File)
		}
		byFile[m.File] = append(byFile[m.File], m)
	}
	b.WriteString("// Querier is every query, implemented by each dialect's adapter.\ntype Querier interface {\n")
	for _, f := range files {
		fmt.Fprintf(&b, "\t%s\n", interfaceName(f))
	}
	b.WriteString("}\n\n")
	for _, f := range files {
		fmt.Fprintf(&b, "// %s are the queries of %s.\n", interfaceName(f), f)
		if doc := ref.FileDocs[f]; doc != "" {
			b.WriteString("//\n")
			for _, line := range docLines(doc) {
				fmt.Fprintf(&b, "// %s\n", line)
			}
		}
		fmt.Fprintf(&b, "type %s interface {\n", interfaceName(f))
		for _, m := range byFile[f] {
			for _, line := range docLines(docWithout(m.Doc)) {
				fmt.Fprintf(&b, "\t// %s\n", line)
			}
			fmt.Fprintf(&b, "\t%s%s\n", m.Name, methodSignature(m, ref, ""))
		}
		b.WriteString("}\n\n")
	}
	if len(dispatch) > 0 {
		writeDispatcher(&b, pkg, dispatch)
	}
	for _, s := range sortedStructs(ref) {
		fmt.Fprintf(&b, "// %s is generated from the schema and queries; every dialect's sqlc output has the same fields.\n", s.Name)
		fmt.Fprintf(&b, "type %s struct {\n", s.Name)
		for _, f := range s.Fields {
			fmt.Fprintf(&b, "\t%s %s\n", f.Name, f.Type)
		}
		b.WriteString("}\n\n")
	}
	return gofmt(pkg, &b)
}

// methodSignature renders (ctx context.Context, …) (…), qualifying the
// package's own types with pkg when pkg is not empty.
func methodSignature(m *method, p *pkgInfo, pkg string) string {
	params := []string{"ctx context.Context"}
	for _, prm := range m.Params {
		t := prm.Type
		if pkg != "" {
			t = p.qualify(t, pkg)
		}
		params = append(params, prm.Name+" "+t)
	}
	results := make([]string, len(m.Results))
	for i, r := range m.Results {
		if pkg != "" {
			r = p.qualify(r, pkg)
		}
		results[i] = r
	}
	res := strings.Join(results, ", ")
	if len(results) > 1 {
		res = "(" + res + ")"
	}
	return "(" + strings.Join(params, ", ") + ") " + res
}

func docLines(doc string) []string {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return nil
	}
	return strings.Split(doc, "\n")
}
