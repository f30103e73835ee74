// Package dialects is everything that differs between the databases Quarry
// runs on: PostgreSQL, MySQL/MariaDB and SQLite.
//
// A DATABASE_URL names the dialect by its scheme:
//
//	postgres://user:pass@host:5432/db?sslmode=disable
//	mysql://user:pass@host:3306/db?tls=false
//	sqlite:./var/app.db
//	sqlite::memory:
//
// [ParseURL] turns it into a [URL] holding the driver's DSN, [Open] opens a
// tuned *sql.DB, and the [Dialect] says how to quote identifiers, which
// placeholder style to use, which goose dialect and migration locker apply,
// and what the database can do ([Capabilities]).
//
// Each dialect is whole in its own package — dialects/postgres,
// dialects/mysql, dialects/sqlite: URL parsing, pool tuning, error
// classification, catalog SQL, the adapter over its sqlc output and its
// migrations — and registers itself ([Register]); package dialects/all
// links the three, and the framework imports it. Code outside dialects/
// asks a dialect's methods and capabilities, never its name. A new
// dialect is one folder, one line in dialects/all and a green
// dialects/dialecttest. The Atlas driver, for
// schema inspection and diffs, lives in the subpackage atlasdriver so that
// apps do not link Atlas. The framework's own queries are reached
// through [Dialect.Queries], which returns the dialect's adapter over its
// private sqlc output.
package dialects
