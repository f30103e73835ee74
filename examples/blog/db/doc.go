// Package db is the blog's data layer: the types and query interfaces in
// queries_gen.go, shared by the adapters in db/postgres, db/mysql and
// db/sqlite, and Queries, which runs a handle (the request's
// *framework.Database, or a *framework.Tx) through the adapter of its
// dialect. Each adapter registers itself from its init, so a program
// imports those it runs on (the blog's main imports all three). All of
// it is written by `quarry gen --types db`.
package db
