package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Options configures [Generate].
type Options struct {
	// Config is the sqlc.yaml to read. Default: sqlc.yaml.
	Config string
	// TypesDir is the directory of the dialect-neutral package of types and
	// interfaces. Required when the config has more than one dialect.
	TypesDir string
}

// GeneratedFile is the name of the files Generate writes.
const GeneratedFile = "queries_gen.go"

// Generate runs after sqlc: for a config with several dialects it checks
// parity and writes the shared types and one adapter per dialect. With a
// single dialect only the first step below applies. It returns the paths
// it changed or removed.
//
// First, in every dialect, it removes what sqlc generated from query files
// that no longer exist, since sqlc never deletes its old output.
func Generate(opts Options) ([]string, error) {
	if opts.Config == "" {
		opts.Config = "sqlc.yaml"
	}
	dialects, err := ReadConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, d := range dialects {
		removed, err := removeStale(d)
		written = append(written, removed...)
		if err != nil {
			return written, err
		}
	}
	if len(dialects) < 2 {
		return written, nil
	}
	if opts.TypesDir == "" {
		return nil, fmt.Errorf("%s has %d dialects: say where the shared types go (quarry gen --types DIR)", opts.Config, len(dialects))
	}
	var pkgs []*pkgInfo
	for _, d := range dialects {
		if filepath.Base(filepath.Dir(d.Out)) != "internal" {
			return nil, fmt.Errorf("%s: %s output %s must be <adapter-dir>/internal/<package> so the adapter can sit beside it", opts.Config, d.Name, d.Out)
		}
		p, err := load(d)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	if err := check(pkgs); err != nil {
		return nil, err
	}
	typesImport, err := importPath(opts.TypesDir)
	if err != nil {
		return nil, err
	}
	typesPkg := packageName(opts.TypesDir)
	adapterImports := make([]string, len(pkgs))
	for i, p := range pkgs {
		if adapterImports[i], err = importPath(p.Dialect.AdapterDir()); err != nil {
			return nil, err
		}
	}
	// The framework's own queries get no dispatcher (see
	// frameworkTypesImport); an app's do.
	var dispatch []adapterRef
	if typesImport != frameworkTypesImport {
		for i, p := range pkgs {
			dispatch = append(dispatch, adapterRef{Dialect: p.Dialect.Name, Import: adapterImports[i]})
		}
	}
	src, err := typesFile(pkgs[0], typesPkg, dispatch)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(opts.TypesDir, GeneratedFile)
	if changed, err := writeFile(path, src); err != nil {
		return nil, err
	} else if changed {
		written = append(written, path)
	}
	if dispatch != nil {
		changed, err := writeEndpoints(pkgs, opts.TypesDir, typesPkg)
		written = append(written, changed...)
		if err != nil {
			return written, err
		}
	}
	for i, p := range pkgs {
		sqlcImport, err := importPath(p.Dialect.Out)
		if err != nil {
			return nil, err
		}
		src, err := adapterFile(p, pkgs[0], typesPkg, typesImport, sqlcImport, adapterImports[i], dispatch != nil)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(p.Dialect.AdapterDir(), GeneratedFile)
		if changed, err := writeFile(path, src); err != nil {
			return nil, err
		} else if changed {
			written = append(written, path)
		}
	}
	return written, nil
}

// writeEndpoints checks that every dialect annotates the same endpoints
// and writes them (or removes the file when no query has one).
func writeEndpoints(pkgs []*pkgInfo, dir, pkg string) ([]string, error) {
	infos := make([]*sqlInfo, len(pkgs))
	for i, p := range pkgs {
		info, err := readSQL(p)
		if err != nil {
			return nil, err
		}
		infos[i] = info
	}
	if err := compareAnnotations(pkgs, infos); err != nil {
		return nil, err
	}
	src, err := endpointsFile(pkgs[0], infos[0], pkg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, EndpointsFile)
	if src == nil {
		if err := os.Remove(path); err == nil {
			return []string{path}, nil
		} else if !os.IsNotExist(err) {
			return nil, err
		}
		return nil, nil
	}
	if changed, err := writeFile(path, src); err != nil || !changed {
		return nil, err
	}
	return []string{path}, nil
}

// writeFile writes src to path unless the file already holds it, and
// reports whether it wrote.
func writeFile(path string, src []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, src) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return true, os.WriteFile(path, src, 0o644)
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

func packageName(dir string) string {
	abs, _ := filepath.Abs(dir)
	return strings.ToLower(nonIdent.ReplaceAllString(filepath.Base(abs), ""))
}

// interfaceName turns a query file name into an interface name:
// auth.sql → AuthQueries, blog_posts.sql → BlogPostsQueries.
func interfaceName(queryFile string) string {
	base := strings.TrimSuffix(queryFile, filepath.Ext(queryFile))
	var b strings.Builder
	up := true
	for _, r := range base {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String() + "Queries"
}

// qualify prefixes the package's own type names in typ with pkg.
func (p *pkgInfo) qualify(typ, pkg string) string {
	if s, ok := p.localStruct(typ); ok {
		return strings.TrimSuffix(typ, s.Name) + pkg + "." + s.Name
	}
	return typ
}

// usedImports returns the import paths that the given type expressions need.
func (p *pkgInfo) usedImports(typeExprs []string) []string {
	set := map[string]bool{}
	for _, t := range typeExprs {
		for name, ip := range p.Imports {
			if strings.Contains(t, name+".") {
				set[ip] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for ip := range set {
		out = append(out, ip)
	}
	sort.Strings(out)
	return out
}

func sortedStructs(p *pkgInfo) []*structDef {
	out := make([]*structDef, 0, len(p.Structs))
	for _, s := range p.Structs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func gofmt(path string, b *bytes.Buffer) ([]byte, error) {
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated %s: %w\n%s", path, err, b.String())
	}
	return src, nil
}

const header = "// Code generated by quarry gen from %s. DO NOT EDIT.\n\n"
