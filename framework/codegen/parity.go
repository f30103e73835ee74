package codegen

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// check compares every dialect with the first and reports each query that
// is missing somewhere and each Go type that differs, in one error.
func check(pkgs []*pkgInfo) error {
	var problems []string
	ref := pkgs[0]
	for _, other := range pkgs[1:] {
		problems = append(problems, compareMethods(ref, other)...)
		problems = append(problems, compareStructs(ref, other)...)
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	problems = dedupe(problems)
	return fmt.Errorf("%w:\n  - %s\nEvery dialect must define the same queries with the same Go types; a SQL comment above a query can say why its SQL differs.",
		ErrParity, strings.Join(problems, "\n  - "))
}

func queryLoc(p *pkgInfo, m *method) string {
	return filepath.Join(p.Dialect.Queries, m.File)
}

func compareMethods(a, b *pkgInfo) []string {
	var out []string
	for _, pair := range [][2]*pkgInfo{{a, b}, {b, a}} {
		x, y := pair[0], pair[1]
		for name, m := range x.Methods {
			if _, ok := y.Methods[name]; !ok {
				out = append(out, fmt.Sprintf("query %s is in %s (%s) but missing from %s (%s)",
					name, x.Dialect.Name, queryLoc(x, m), y.Dialect.Name, y.Dialect.Queries))
			}
		}
	}
	for name, ma := range a.Methods {
		mb, ok := b.Methods[name]
		if !ok {
			continue
		}
		sa, sb := signature(ma), signature(mb)
		if sa != sb {
			out = append(out, fmt.Sprintf("query %s has Go signature %s in %s (%s) but %s in %s (%s)",
				name, sa, a.Dialect.Name, queryLoc(a, ma), sb, b.Dialect.Name, queryLoc(b, mb)))
		}
	}
	return out
}

func signature(m *method) string {
	params := make([]string, len(m.Params))
	for i, p := range m.Params {
		params[i] = p.Type
	}
	return "(ctx, " + strings.Join(params, ", ") + ") (" + strings.Join(m.Results, ", ") + ")"
}

func compareStructs(a, b *pkgInfo) []string {
	var out []string
	for _, pair := range [][2]*pkgInfo{{a, b}, {b, a}} {
		x, y := pair[0], pair[1]
		for name := range x.Structs {
			if _, ok := y.Structs[name]; !ok {
				out = append(out, fmt.Sprintf("type %s (a table or a query's params/row) is generated for %s but not for %s",
					name, x.Dialect.Name, y.Dialect.Name))
			}
		}
	}
	for name, sa := range a.Structs {
		sb, ok := b.Structs[name]
		if !ok {
			continue
		}
		fa, fb := fieldMap(sa), fieldMap(sb)
		for _, pair := range []struct {
			x, y   map[string]string
			dx, dy string
		}{{fa, fb, a.Dialect.Name, b.Dialect.Name}, {fb, fa, b.Dialect.Name, a.Dialect.Name}} {
			for f := range pair.x {
				if _, ok := pair.y[f]; !ok {
					out = append(out, fmt.Sprintf("field %s.%s exists in %s but not in %s", name, f, pair.dx, pair.dy))
				}
			}
		}
		for f, ta := range fa {
			if tb, ok := fb[f]; ok && ta != tb {
				out = append(out, fmt.Sprintf("field %s.%s is %s in %s but %s in %s (align the column types, or add a sqlc override)",
					name, f, ta, a.Dialect.Name, tb, b.Dialect.Name))
			}
		}
	}
	return out
}

func fieldMap(s *structDef) map[string]string {
	m := make(map[string]string, len(s.Fields))
	for _, f := range s.Fields {
		m[f.Name] = f.Type
	}
	return m
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
