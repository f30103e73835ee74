// Package mysql is the mysql half of the framework's data layer: its goose
// migrations (embedded) and the adapter over its private sqlc output that
// satisfies store.Querier. queries_gen.go is written by `make gen`.
package mysql

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the framework's own goose migrations for mysql, at the root
// of the file system.
var Migrations = mustSub(migrationFiles, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return sub
}
