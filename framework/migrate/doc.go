// Package migrate runs goose migrations in two sets: the framework's own
// (embedded per dialect, versioned in the table quarry_migrations) and the
// app's (a directory or fs.FS, versioned in goose's default table
// goose_db_version, so the stock goose CLI still works on them).
//
// Up applies the framework's set first, then the app's. The other verbs act
// on the app's set unless told to use the framework's.
//
// Concurrent runs are serialised: on PostgreSQL and MySQL with goose's
// table lockers (a lock row in quarry_migrate_lock with a lease renewed by a
// heartbeat, so a killed process frees it after the lease); on a SQLite
// file with an exclusive flock on <file>.migrate.lock, released by the
// kernel if the process dies. A second `migrate up` waits for the first and
// then finds nothing to do.
package migrate
