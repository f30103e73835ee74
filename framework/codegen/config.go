package codegen

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Dialect is one sql: entry of a sqlc.yaml, as codegen sees it.
type Dialect struct {
	// Name is the Quarry dialect name: postgres, mysql or sqlite.
	Name string
	// Queries is the directory (or file) of the entry's annotated queries.
	Queries string
	// Out is sqlc's output directory, <adapter>/internal/<package>.
	Out string
	// Package is sqlc's Go package name.
	Package string
}

// AdapterDir is the directory the adapter is written to: Out without its
// trailing internal/<package>.
func (d Dialect) AdapterDir() string { return filepath.Dir(filepath.Dir(d.Out)) }

type sqlcConfig struct {
	SQL []struct {
		Engine  string `yaml:"engine"`
		Queries any    `yaml:"queries"`
		Gen     struct {
			Go struct {
				Package string `yaml:"package"`
				Out     string `yaml:"out"`
			} `yaml:"go"`
		} `yaml:"gen"`
	} `yaml:"sql"`
}

var engines = map[string]string{"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}

// ReadConfig reads the sql: entries of a sqlc.yaml. Paths are returned
// relative to the directory holding the file, as sqlc resolves them.
func ReadConfig(path string) ([]Dialect, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg sqlcConfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	base := filepath.Dir(path)
	seen := map[string]bool{}
	var out []Dialect
	for i, e := range cfg.SQL {
		name, ok := engines[e.Engine]
		if !ok {
			return nil, fmt.Errorf("%s: sql[%d]: unknown engine %q (want postgresql, mysql or sqlite)", path, i, e.Engine)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s: sql[%d]: a second %s entry; quarry gen wants one entry per dialect", path, i, e.Engine)
		}
		seen[name] = true
		if e.Gen.Go.Out == "" {
			return nil, fmt.Errorf("%s: sql[%d] (%s): gen.go.out is not set", path, i, e.Engine)
		}
		q, _ := e.Queries.(string)
		if list, ok := e.Queries.([]any); ok && len(list) > 0 {
			q, _ = list[0].(string)
		}
		out = append(out, Dialect{
			Name:    name,
			Queries: filepath.Join(base, q),
			Out:     filepath.Join(base, e.Gen.Go.Out),
			Package: e.Gen.Go.Package,
		})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no sql: entries", path)
	}
	return out, nil
}

// modulePath finds the go.mod above dir and returns the module's import
// path and root directory.
func modulePath(dir string) (module, root string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		f, err := os.Open(filepath.Join(d, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return strings.Trim(strings.TrimSpace(m), `"`), d, nil
				}
			}
			return "", "", fmt.Errorf("%s/go.mod has no module line", d)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", "", err
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("no go.mod above %s", abs)
		}
	}
}

// importPath returns the import path of directory dir.
func importPath(dir string) (string, error) {
	module, root, err := modulePath(dir)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return "", err
	}
	if rel == "." {
		return module, nil
	}
	return module + "/" + filepath.ToSlash(rel), nil
}
