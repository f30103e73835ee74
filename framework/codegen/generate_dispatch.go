package codegen

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// frameworkTypesImport is the import path of the framework's own shared
// types package. Its generation gets no dispatcher: the framework's
// queries are dispatched by dialects.Dialect.Queries (their adapters are
// the dialect packages, which the dispatcher's registry would make import
// cycles of), and package queries imports nothing of the framework.
// Every other types package (an app's) gets one.
const frameworkTypesImport = "github.com/quarry-go/quarry/queries"

// adapterRef is one dialect's adapter, as the dispatcher names it.
type adapterRef struct {
	// Dialect is the Quarry dialect name: postgres, mysql or sqlite.
	Dialect string
	// Import is the adapter package's import path.
	Import string
}

// writeDispatcher renders the dispatcher of the types package pkg: a
// registry the adapters fill from their init functions (the types package
// cannot import them: they import it), RegisterAdapter, and Queries,
// which picks the adapter of a handle's dialect and, when none is linked
// in, panics naming the import to add. The registry is written only
// during package initialization, so Queries reads it without a lock.
func writeDispatcher(b *bytes.Buffer, pkg string, refs []adapterRef) {
	refs = append([]adapterRef(nil), refs...)
	sort.Slice(refs, func(i, j int) bool { return refs[i].Dialect < refs[j].Dialect })
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Dialect
	}
	fmt.Fprintf(b, `// adapters holds each dialect's adapter, registered by RegisterAdapter.
// It is written only while the program initializes (the adapters' init
// functions) and only read afterwards, so Queries reads it without a lock.
var adapters = map[dialects.Name]func(DBTX) Querier{}

// RegisterAdapter makes newQueries the adapter Queries returns for
// dialect. It is called by the generated adapters' init functions, so
// importing an adapter's package (blank, if nothing else of it is used)
// links it in. Like sql.Register, it panics when the dialect already has
// an adapter or newQueries is nil. Call it only from an init function:
// Queries reads the registry without a lock.
func RegisterAdapter(dialect dialects.Name, newQueries func(DBTX) Querier) {
	if newQueries == nil {
		panic(fmt.Sprintf("%[1]s: RegisterAdapter of dialect %%q: newQueries is nil", dialect))
	}
	if _, dup := adapters[dialect]; dup {
		panic(fmt.Sprintf("%[1]s: RegisterAdapter called twice for dialect %%q", dialect))
	}
	adapters[dialect] = newQueries
}

// Queries returns the queries over h (a *framework.Database or a
// *framework.Tx) by the adapter of h's dialect. It panics when the program
// links in no adapter for that dialect, naming the package to import.
func Queries(h dialects.Handle) Querier {
	x, d := h.Handle()
	if newQueries := adapters[d.Name()]; newQueries != nil {
		return newQueries(x)
	}
	panic(noAdapter(d.Name()))
}

// noAdapter is the message of Queries when dialect has no adapter.
func noAdapter(dialect dialects.Name) string {
	switch dialect {
`, pkg)
	for _, r := range refs {
		fmt.Fprintf(b, "\tcase %q:\n\t\treturn %s\n", r.Dialect,
			goString(fmt.Sprintf("%s: no adapter for dialect %q is linked into this program: import _ %q", pkg, r.Dialect, r.Import)))
	}
	fmt.Fprintf(b, "\t}\n\treturn fmt.Sprintf(%s, dialect)\n}\n\n",
		goString(fmt.Sprintf("%s: no adapter for dialect %%q: quarry gen wrote adapters for %s only (one per sql: entry of sqlc.yaml)", pkg, andList(names))))
}

// andList joins names as "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// goString is s as a Go string literal, raw when it can be (the messages
// hold double quotes).
func goString(s string) string {
	if strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// writeRegistration renders the init function of an adapter, which
// registers it with the dispatcher of types package typesPkg.
func writeRegistration(b *bytes.Buffer, dialect, typesPkg string) {
	fmt.Fprintf(b, `// init registers the %[1]s adapter, so %[2]s.Queries runs a handle of
// dialect %[1]s through it.
func init() {
	%[2]s.RegisterAdapter(%[3]q, func(x %[2]s.DBTX) %[2]s.Querier { return New(x) })
}

`, dialect, typesPkg, dialect)
}
