package schemadiff

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"

	"github.com/quarry-go/quarry/dialects"
)

// searchRe is the search hint: "-- quarry:search col, col" above a
// CREATE TABLE (where the other table hints go), naming the columns the
// admin and the API search (their SearchFields).
var searchRe = regexp.MustCompile(`--\s*quarry:search\b([^\n]*)`)

// searchHint is a table's -- quarry:search hint.
type searchHint struct {
	table string
	cols  []string
	at    located // the CREATE TABLE, for messages
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// readSearch returns the search hints of the DDL (as readDDL split it).
func readSearch(ddl []located) ([]searchHint, error) {
	var out []searchHint
	for _, st := range ddl {
		table, args, ok := tableHint(st, searchRe)
		if !ok {
			continue
		}
		hint := searchHint{table: table, at: st}
		for c := range strings.SplitSeq(args, ",") {
			c = strings.TrimSpace(c)
			if !identRe.MatchString(c) || slices.Contains(hint.cols, c) {
				return nil, fmt.Errorf("%w: %s:%d: table %s: -- quarry:search takes column names, comma-separated, each once (%q)", ErrHint, filepath.Base(st.file), st.Line, table, strings.TrimSpace(args))
			}
			hint.cols = append(hint.cols, c)
		}
		out = append(out, hint)
	}
	return out, nil
}

// searchDDL is the statements of the dialect's search indexes for the
// hints (dialects.SchemaTools.SearchIndexes; none on the dialects whose
// search scans), placed after the DDL: the desired state has them.
func searchDDL(d dialects.Dialect, hints []searchHint) []located {
	var out []located
	seen := map[string]bool{}
	for _, h := range hints {
		for _, stmt := range d.SearchIndexes(h.table, h.cols) {
			if seen[stmt] {
				continue // the extension, once
			}
			seen[stmt] = true
			out = append(out, located{statement: statement{SQL: stmt, Line: h.at.Line}, file: h.at.file + " (-- quarry:search)"})
		}
	}
	return out
}

// rowidKey reports whether t (SQLite) is a rowid table whose primary key
// is one column declared INTEGER, ascending: an alias of the rowid.
func rowidKey(t *schema.Table) bool {
	pk := t.PrimaryKey
	if pk == nil || len(pk.Parts) != 1 || pk.Parts[0].C == nil || pk.Parts[0].Desc || pk.Parts[0].C.Type == nil {
		return false
	}
	for _, a := range t.Attrs {
		if _, ok := a.(*sqlite.WithoutRowID); ok {
			return false
		}
	}
	return strings.EqualFold(strings.TrimSpace(pk.Parts[0].C.Type.Raw), "integer")
}

// checkSearch refuses hints naming a column the table does not have,
// and on SQLite a table whose rows have no lasting rowid (an INTEGER
// PRIMARY KEY), by which its search index refers to them.
func checkSearch(d dialects.Dialect, hints []searchHint, to *schema.Schema) error {
	for _, h := range hints {
		t, ok := to.Table(h.table)
		if !ok {
			continue
		}
		if d.Name() == dialects.SQLite && !rowidKey(t) {
			return fmt.Errorf("%w: %s:%d: table %s: -- quarry:search on SQLite needs a rowid table whose key is one column declared INTEGER PRIMARY KEY (the search index refers to rows by rowid, which only such a key keeps through table rebuilds and VACUUM)", ErrHint, filepath.Base(h.at.file), h.at.Line, h.table)
		}
		for _, c := range h.cols {
			if _, ok := t.Column(c); !ok {
				return fmt.Errorf("%w: %s:%d: table %s: -- quarry:search names %s, which it has no column by", ErrHint, filepath.Base(h.at.file), h.at.Line, h.table, c)
			}
		}
	}
	return nil
}
