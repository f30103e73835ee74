// Package db is the blog's data layer: the types and query interfaces in
// queries_gen.go, shared by the adapters in db/postgres, db/mysql and
// db/sqlite. All of it is written by `quarry gen --types db`.
package db
