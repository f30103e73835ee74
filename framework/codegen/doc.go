// Package codegen is the part of `quarry gen` that runs after sqlc: when a
// sqlc.yaml has one entry per dialect, it checks that every dialect defines
// the same queries with the same Go types (dialect parity), then writes one
// dialect-neutral package of types and interfaces and, beside each
// dialect's private sqlc output, an adapter that satisfies them.
//
// The layout it expects, for a schema in several dialects:
//
//	sqlc.yaml                       one sql: entry per engine
//	<adapter>/internal/<pkg>/       sqlc's output for one dialect (gen.go.out)
//	<adapter>/queries_gen.go        written here: the adapter
//	<types>/queries_gen.go          written here: shared types and interfaces
//
// An app's types package also gets a dispatcher: Queries(h) runs a
// dialects.Handle (*framework.Database, *framework.Tx) through the adapter
// of its dialect, which each adapter registers from its init with
// RegisterAdapter (the types package cannot import the adapters: they
// import it). A program links in the adapters it runs on by importing
// them, blank if need be, as it does database/sql drivers; Queries names
// the missing import when one is not. The framework's own types package
// (queries) gets none: dialects.Dialect.Queries dispatches its queries.
//
// sqlc itself is run by the caller (cmd/quarry), so importing this package
// does not pull sqlc into a program.
package codegen
