package codegen

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// dialectsImport is the import path of Quarry's dialect packages; each
// dialect's package (dialectsImport + "/postgres" and so on) has the
// ClassifyError that the adapters return their errors through.
const dialectsImport = "github.com/quarry-go/quarry/dialects"

// adapterFile renders the adapter of one dialect: a Queries type whose
// methods call sqlc's and convert between its types and the shared ones
// field by field (so field order may differ between dialects), and return
// every error classified by the dialect's ClassifyError, so errors.Is
// matches package queries's sentinels. adapterImport is the adapter's own
// import path: the framework's adapters are the dialect packages, and
// call their ClassifyError unqualified. With register, the adapter's init
// registers it with the types package's dispatcher (an app's adapters;
// not the framework's, see frameworkTypesImport).
func adapterFile(p, ref *pkgInfo, typesPkg, typesImport, sqlcImport, adapterImport string, register bool) ([]byte, error) {
	sqlcPkg := p.Dialect.Package
	adapterPkg := packageName(p.Dialect.AdapterDir())
	classifyImport := dialectsImport + "/" + p.Dialect.Name
	classifyPkg, classify := "", "ClassifyError"
	if classifyImport != adapterImport {
		classifyPkg = "quarry" + p.Dialect.Name
		classify = classifyPkg + "." + classify
	}
	var body bytes.Buffer
	toDB, fromDB := map[string]bool{}, map[string]bool{}
	var exprs []string
	for _, name := range ref.order {
		m, rm := p.Methods[name], ref.Methods[name]
		fmt.Fprintf(&body, "// %s runs the %s query %s.\n", name, p.Dialect.Name, filepath.ToSlash(queryLoc(p, m)))
		fmt.Fprintf(&body, "func (a *Queries) %s%s {\n", name, methodSignature(rm, ref, typesPkg))
		args := []string{"ctx"}
		for _, prm := range rm.Params {
			exprs = append(exprs, prm.Type)
			if s, ok := ref.localStruct(prm.Type); ok {
				if strings.HasPrefix(prm.Type, "[]") {
					return nil, fmt.Errorf("query %s: slice-of-struct parameter %s is not supported", name, prm.Type)
				}
				toDB[s.Name] = true
				args = append(args, "toDB"+s.Name+"("+prm.Name+")")
				continue
			}
			args = append(args, prm.Name)
		}
		call := fmt.Sprintf("a.q.%s(%s)", name, strings.Join(args, ", "))
		exprs = append(exprs, rm.Results...)
		switch len(rm.Results) {
		case 1:
			fmt.Fprintf(&body, "\treturn %s(%s)\n", classify, call)
		case 2:
			res := rm.Results[0]
			s, isStruct := ref.localStruct(res)
			switch {
			case !isStruct:
				fmt.Fprintf(&body, "\tout, err := %s\n\treturn out, %s(err)\n", call, classify)
			case strings.HasPrefix(res, "[]"):
				fromDB[s.Name] = true
				fmt.Fprintf(&body, "\trows, err := %s\n\tif err != nil {\n\t\treturn nil, %s(err)\n\t}\n", call, classify)
				fmt.Fprintf(&body, "\tout := make([]%s.%s, len(rows))\n\tfor i, r := range rows {\n\t\tout[i] = fromDB%s(r)\n\t}\n\treturn out, nil\n", typesPkg, s.Name, s.Name)
			default:
				fromDB[s.Name] = true
				fmt.Fprintf(&body, "\trow, err := %s\n\treturn fromDB%s(row), %s(err)\n", call, s.Name, classify)
			}
		default:
			return nil, fmt.Errorf("query %s: unexpected results %v", name, rm.Results)
		}
		body.WriteString("}\n\n")
	}
	for _, name := range sortedKeys(toDB) {
		fmt.Fprintf(&body, "func toDB%s(v %s.%s) %s.%s {\n\treturn %s.%s{%s}\n}\n\n",
			name, typesPkg, name, sqlcPkg, name, sqlcPkg, name, fieldCopy(ref.Structs[name]))
	}
	for _, name := range sortedKeys(fromDB) {
		fmt.Fprintf(&body, "func fromDB%s(v %s.%s) %s.%s {\n\treturn %s.%s{%s}\n}\n\n",
			name, sqlcPkg, name, typesPkg, name, typesPkg, name, fieldCopy(ref.Structs[name]))
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, header, filepath.ToSlash(p.Dialect.Out))
	fmt.Fprintf(&b, "package %s\n\nimport (\n\t\"context\"\n", adapterPkg)
	for _, ip := range ref.usedImports(exprs) {
		if ip != "context" {
			fmt.Fprintf(&b, "\t%q\n", ip)
		}
	}
	fmt.Fprintf(&b, "\n")
	if classifyPkg != "" {
		fmt.Fprintf(&b, "\t%s %q\n", classifyPkg, classifyImport)
	}
	fmt.Fprintf(&b, "\t%s %q\n\t%s %q\n)\n\n", typesPkg, typesImport, sqlcPkg, sqlcImport)
	fmt.Fprintf(&b, `// Queries runs the %[1]s queries and returns the shared %[2]s types.
// (sqlc's Queries is held by value: one allocation per New, not two.)
type Queries struct{ q %[3]s.Queries }

// New returns the %[1]s queries over db (a *sql.DB, *sql.Tx or *sql.Conn).
func New(db %[2]s.DBTX) *Queries { return &Queries{q: *%[3]s.New(db)} }

var _ %[2]s.Querier = (*Queries)(nil)

`, p.Dialect.Name, typesPkg, sqlcPkg)
	if register {
		writeRegistration(&b, p.Dialect.Name, typesPkg)
	}
	b.Write(body.Bytes())
	return gofmt(p.Dialect.AdapterDir(), &b)
}

func fieldCopy(s *structDef) string {
	parts := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		parts[i] = f.Name + ": v." + f.Name
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
