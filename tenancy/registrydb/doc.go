// Package registrydb is the tenant registry's data layer, written by
// `quarry gen --types registrydb` from tenancy/sqlc.yaml: the types and
// query interfaces shared by the adapters in registrydb/postgres,
// registrydb/mysql and registrydb/sqlite, and Queries, which runs a handle
// through the adapter of its dialect. Package tenancy imports all three
// adapters; use it (tenancy.Registry) rather than this package.
package registrydb
