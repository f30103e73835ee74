package codegen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type field struct{ Name, Type string }

type structDef struct {
	Name   string
	Fields []field
}

type param struct{ Name, Type string }

type method struct {
	Name    string
	Params  []param // without the leading context.Context
	Results []string
	Doc     string
	File    string // the query file, e.g. auth.sql
}

// pkgInfo is what codegen reads from one dialect's sqlc output.
type pkgInfo struct {
	Dialect Dialect
	Structs map[string]*structDef
	Methods map[string]*method
	Imports map[string]string // package name → import path
	// FileDocs are the opening comments of the query files, by file name
	// (see fileHeader): the doc of each file's interface.
	FileDocs map[string]string
	order    []string // method names, sorted by file then name
}

// load parses the sqlc output of one dialect.
func load(d Dialect) (*pkgInfo, error) {
	files, err := filepath.Glob(filepath.Join(d.Out, "*.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Go files (did sqlc run?)", d.Out)
	}
	p := &pkgInfo{Dialect: d, Structs: map[string]*structDef{}, Methods: map[string]*method{}, Imports: map[string]string{}}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			name := path.Base(ip)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			p.Imports[name] = ip
		}
		queryFile := strings.TrimSuffix(filepath.Base(file), ".go")
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.GenDecl:
				if err := p.addTypes(decl); err != nil {
					return nil, fmt.Errorf("%s: %w", file, err)
				}
			case *ast.FuncDecl:
				if m := methodOf(decl, queryFile); m != nil {
					p.Methods[m.Name] = m
				}
			}
		}
	}
	p.FileDocs = map[string]string{}
	for _, m := range p.Methods {
		h, ok := p.FileDocs[m.File]
		if !ok {
			h = fileHeader(queryPath(d, m.File))
			p.FileDocs[m.File] = h
		}
		// sqlc gives the file's opening comment to its first query.
		if h != "" && strings.HasPrefix(m.Doc, h) {
			m.Doc = strings.TrimLeft(m.Doc[len(h):], "\n")
		}
	}
	for name := range p.Methods {
		p.order = append(p.order, name)
	}
	sort.Slice(p.order, func(i, j int) bool {
		a, b := p.Methods[p.order[i]], p.Methods[p.order[j]]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Name < b.Name
	})
	return p, nil
}

func (p *pkgInfo) addTypes(decl *ast.GenDecl) error {
	if decl.Tok != token.TYPE {
		return nil
	}
	for _, spec := range decl.Specs {
		ts := spec.(*ast.TypeSpec)
		switch t := ts.Type.(type) {
		case *ast.StructType:
			if ts.Name.Name == "Queries" {
				continue
			}
			s := &structDef{Name: ts.Name.Name}
			for _, f := range t.Fields.List {
				typ := types.ExprString(f.Type)
				for _, n := range f.Names {
					s.Fields = append(s.Fields, field{Name: n.Name, Type: typ})
				}
			}
			p.Structs[s.Name] = s
		case *ast.InterfaceType:
			// DBTX and the optional Querier interface: rewritten by codegen.
		default:
			return fmt.Errorf("type %s (%s) is specific to %s (an enum?); a schema shared by several dialects must use portable column types",
				ts.Name.Name, types.ExprString(ts.Type), p.Dialect.Name)
		}
	}
	return nil
}

// methodOf returns the query method declared by fn, or nil if fn is not one.
func methodOf(fn *ast.FuncDecl, queryFile string) *method {
	if fn.Recv == nil || len(fn.Recv.List) != 1 || types.ExprString(fn.Recv.List[0].Type) != "*Queries" {
		return nil
	}
	if fn.Name.Name == "WithTx" || !fn.Name.IsExported() {
		return nil
	}
	m := &method{Name: fn.Name.Name, File: queryFile}
	if fn.Doc != nil {
		m.Doc = fn.Doc.Text()
	}
	for i, f := range fn.Type.Params.List {
		typ := types.ExprString(f.Type)
		for _, n := range f.Names {
			if i == 0 && typ == "context.Context" {
				continue
			}
			m.Params = append(m.Params, param{Name: n.Name, Type: typ})
		}
	}
	if fn.Type.Results != nil {
		for _, f := range fn.Type.Results.List {
			m.Results = append(m.Results, types.ExprString(f.Type))
		}
	}
	return m
}

// localStruct returns the struct a type expression names, if it is one of
// the package's own ("QuarryUser", "[]QuarryUser").
func (p *pkgInfo) localStruct(typ string) (*structDef, bool) {
	s, ok := p.Structs[strings.TrimPrefix(typ, "[]")]
	return s, ok
}

// queryPath is the path of one of d's query files (d.Queries is a
// directory of them, or a single file).
func queryPath(d Dialect, file string) string {
	if filepath.Base(d.Queries) == file {
		return d.Queries
	}
	return filepath.Join(d.Queries, file)
}

// fileHeader returns the comment block that opens a query file when a
// blank line separates it from what follows: the file's own doc, which
// sqlc would otherwise attach to the file's first query. It returns ""
// when there is none or the file cannot be read.
func fileHeader(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "--") && !strings.HasPrefix(t, "-- name:"):
			lines = append(lines, strings.TrimSpace(strings.TrimPrefix(t, "--")))
		case t == "" && len(lines) > 0:
			return strings.Join(lines, "\n") + "\n"
		default:
			return ""
		}
	}
	return ""
}
