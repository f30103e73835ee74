// Package postgres is the postgres half of the framework's data layer: its goose
// migrations (embedded) and the adapter over its private sqlc output that
// satisfies queries.Querier. queries_gen.go is written by `make gen`.
package postgres

import "embed"

// Migrations holds the framework's own goose migrations for postgres under
// migrations/.
//
//go:embed migrations/*.sql
var Migrations embed.FS
