// Package records is the rows engine: it lists, filters, searches, orders,
// pages, counts, reads, inserts, updates and deletes the rows of an
// introspected table, with no HTTP in it. The admin's pages and the REST
// resource API (package api) are two views over it.
//
// Every identifier comes from the introspected schema and is quoted by
// the dialect; every value a caller supplies is parsed against its
// column (Parse) and bound as a parameter. Columns that hold secrets
// (SecretColumns) are never read or written through the engine, whatever
// the options say.
package records

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/framework/introspect"
)

// SecretColumns are never exposed, by table: the engine leaves them out
// of every Table.
var SecretColumns = map[string][]string{
	"quarry_users": {"password_hash"},
}

// SecretTables hold bearer secrets or the framework's bookkeeping: no
// view over the engine serves them.
var SecretTables = []string{
	"quarry_sessions", "quarry_migrations", "quarry_migrate_lock", "goose_db_version", "goose_lock",
	"quarry_tenancy_grant_nonces",
}

// Options refine a Table. Column names must be in the table.
type Options struct {
	// Exclude are never read nor written (SecretColumns always are).
	Exclude []string
	// ReadOnlyFields are read but never written.
	ReadOnlyFields []string
	// Search are the columns a search term is looked for in,
	// case-insensitively. Default (none named): the first four text
	// columns.
	Search []string
	// Ordering is the default order, e.g. []string{"-created_at"}.
	// Default: the primary key, newest first.
	Ordering []string
	// ReadOnly refuses every write (so is a table without a primary key,
	// and a view).
	ReadOnly bool
	// Key names the columns that identify a row of a view (a table's
	// key is its primary key): with it the view's rows have keys, keyset
	// pages and a page of their own.
	Key []string
}

// Order is one term of an ORDER BY.
type Order struct {
	Col  *introspect.Column
	Desc bool
}

// Table is one table as the engine serves it: the schema refined by
// Options.
type Table struct {
	Schema *introspect.Table
	Name   string
	PK     []*introspect.Column
	// Columns are the exposed columns, in table order.
	Columns  []*introspect.Column
	Search   []*introspect.Column
	Ordering []Order
	// FKs are the single-column foreign keys, by column.
	FKs      map[string]introspect.ForeignKey
	ReadOnly bool
	// VersionKey keys Version: the same on every instance of an app (the
	// admin and the API derive it from the app's secret key); when nil a
	// random key of this process.
	VersionKey []byte
	readonly   map[string]bool
	// searchIndex is the search index the search reads (SQLite's FTS5
	// trigram table), "" when none covers the Search columns, and
	// searchColumns the column filter its MATCH needs ("" when the index
	// has no other column).
	searchIndex, searchColumns string
}

// New builds the engine's view of t. It fails when an option names a
// column t does not have, or one it excludes.
func New(t *introspect.Table, o Options) (*Table, error) {
	tb := &Table{Schema: t, Name: t.Name, ReadOnly: o.ReadOnly || len(t.PrimaryKey) == 0 || t.View,
		FKs: map[string]introspect.ForeignKey{}, readonly: map[string]bool{}}
	var errs []string
	exclude := append(slices.Clone(SecretColumns[t.Name]), o.Exclude...)
	resolve := func(field string, names []string) []*introspect.Column {
		out := make([]*introspect.Column, 0, len(names))
		for _, n := range names {
			n = strings.TrimPrefix(n, "-")
			c, ok := t.Column(n)
			switch {
			case !ok:
				errs = append(errs, fmt.Sprintf("%s: no column %q", field, n))
			case slices.Contains(exclude, n) && field != "Exclude":
				errs = append(errs, fmt.Sprintf("%s: column %q is excluded", field, n))
			default:
				out = append(out, c)
			}
		}
		return out
	}
	resolve("Exclude", o.Exclude)
	for _, c := range resolve("ReadOnlyFields", o.ReadOnlyFields) {
		tb.readonly[c.Name] = true
	}
	for _, n := range t.PrimaryKey {
		c, _ := t.Column(n)
		tb.PK = append(tb.PK, c)
	}
	switch {
	case len(o.Key) > 0 && !t.View:
		errs = append(errs, "Key: only a view takes one (a table's key is its primary key)")
	case len(o.Key) > 0:
		tb.PK = resolve("Key", o.Key)
	}
	for _, fk := range t.ForeignKeys {
		if len(fk.Columns) == 1 {
			tb.FKs[fk.Columns[0]] = fk
		}
	}
	for _, c := range t.Columns {
		if !slices.Contains(exclude, c.Name) {
			tb.Columns = append(tb.Columns, c)
		}
	}
	if len(o.Search) > 0 {
		tb.Search = resolve("Search", o.Search)
	} else {
		for _, c := range tb.Columns {
			if c.Kind == introspect.KindText && len(tb.Search) < 4 {
				tb.Search = append(tb.Search, c)
			}
		}
	}
	tb.useSearchIndex()
	for i, c := range resolve("Ordering", o.Ordering) {
		tb.Ordering = append(tb.Ordering, Order{Col: c, Desc: strings.HasPrefix(o.Ordering[i], "-")})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("records: table %s: %s", t.Name, strings.Join(errs, "; "))
	}
	if len(tb.Ordering) == 0 {
		for _, c := range tb.PK {
			tb.Ordering = append(tb.Ordering, Order{Col: c, Desc: true})
		}
	}
	if len(tb.Ordering) == 0 && len(tb.Columns) > 0 {
		tb.Ordering = []Order{{Col: tb.Columns[0]}}
	}
	return tb, nil
}

// useSearchIndex picks the search index over the Search columns, if the
// table has one (introspect.Table.SearchIndex).
func (t *Table) useSearchIndex() {
	names := make([]string, len(t.Search))
	quoted := make([]string, len(t.Search))
	for i, c := range t.Search {
		names[i] = c.Name
		quoted[i] = `"` + strings.ReplaceAll(c.Name, `"`, `""`) + `"`
	}
	ix, ok := t.Schema.SearchIndex(names)
	if !ok || len(names) == 0 {
		return
	}
	if len(ix.Columns) > len(names) {
		t.searchColumns = "{" + strings.Join(quoted, " ") + "} : "
	}
	t.searchIndex = ix.Name
}

// Column returns an exposed column by name: the check every column name
// from a request goes through.
func (t *Table) Column(name string) (*introspect.Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// Writable reports whether a write may set the column: an insert when
// adding, else an update.
func (t *Table) Writable(c *introspect.Column, adding bool) bool {
	if t.ReadOnly || !Editable(c) || t.readonly[c.Name] || !slices.Contains(t.Columns, c) {
		return false
	}
	if c.Auto {
		return false // the database assigns it
	}
	if slices.Contains(t.PK, c) && !adding {
		return false // a key is fixed once the row exists
	}
	return true
}

// FullOrder is order (the default ordering when empty) followed by the
// primary key columns it lacks, so that it is total: the order a keyset
// cursor walks.
func (t *Table) FullOrder(order []Order) []Order {
	if len(order) == 0 {
		order = t.Ordering
	}
	out := slices.Clone(order)
	for _, c := range t.PK {
		if !slices.ContainsFunc(out, func(o Order) bool { return o.Col == c }) {
			out = append(out, Order{Col: c, Desc: len(out) > 0 && out[len(out)-1].Desc})
		}
	}
	return out
}

// ReadOnlyField reports whether the column is read but never written
// (Options.ReadOnlyFields).
func (t *Table) ReadOnlyField(name string) bool { return t.readonly[name] }
