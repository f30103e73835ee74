package dialects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/queries"
)

// Databases creates, drops and finds the named databases of a server
// (Capabilities.ServerDatabases), for what makes databases of its own:
// the tenant registry (a database per tenant), the schema differ (its
// scratch databases: SchemaTools.CreateScratch and DropScratch use these)
// and the tests. Each method takes admin, a pool on any database of the
// server whose user may create and drop databases (MaintenanceURL names
// one every server has), and name, the database's name, which it checks
// with ValidateDatabaseName and quotes; values are bound as parameters.
//
// A dialect without server databases (SQLite, whose database is a file)
// answers every method with an error wrapping ErrNoServerDatabases: its
// callers check Capabilities().ServerDatabases first and create, find
// and remove files instead.
type Databases interface {
	// CreateDatabase creates the empty database name, which must not
	// exist, with the settings Quarry's tables expect (MySQL: character
	// set utf8mb4, collation utf8mb4_unicode_ci, whatever the server's
	// defaults).
	CreateDatabase(ctx context.Context, admin *sql.DB, name string) error
	// DropDatabase drops the database name if it exists, even while
	// connections to it remain open (PostgreSQL: WITH (FORCE), which ends
	// them).
	DropDatabase(ctx context.Context, admin *sql.DB, name string) error
	// RenameDatabase renames the database from, which must exist, to to,
	// which must not, ending the sessions still connected to from
	// (PostgreSQL: ALTER DATABASE … RENAME TO, which refuses while any
	// remain). A dialect that cannot rename a database
	// (Capabilities.RenameDatabase false: MySQL and MariaDB have no such
	// statement; SQLite has no server databases) answers an error wrapping
	// ErrUnsupported.
	RenameDatabase(ctx context.Context, admin *sql.DB, from, to string) error
	// DatabaseExists reports whether the server has a database name.
	DatabaseExists(ctx context.Context, admin *sql.DB, name string) (bool, error)
	// MaintenanceURL returns the URL of a database every server of the
	// dialect has (PostgreSQL: postgres; MySQL: information_schema) on
	// u's server, with u's user and parameters, to connect to when
	// creating or dropping another database there.
	MaintenanceURL(u *URL) (*URL, error)
	// DatabaseSize returns the bytes on disk of the database db is
	// connected to (its tables and indexes; SQLite: the file's pages),
	// as the operator console shows it. Unlike the methods above it
	// works on every dialect.
	DatabaseSize(ctx context.Context, db queries.DBTX) (int64, error)
}

// ErrNoServerDatabases is wrapped by the Databases methods of a dialect
// whose database is not one of a server's named databases
// (Capabilities.ServerDatabases is false: SQLite).
var ErrNoServerDatabases = errors.New("dialects: this database has no named databases on a server")

// ErrUnsupported is wrapped by the errors of a method the dialect cannot
// do at all (RenameDatabase on MySQL and SQLite), whatever its arguments.
var ErrUnsupported = errors.New("dialects: not supported by this database")

// ErrBadDatabaseName is wrapped by the errors of ValidateDatabaseName,
// and so of the Databases methods given a name it refuses.
var ErrBadDatabaseName = errors.New("dialects: invalid database name")

// ValidateDatabaseName checks a database name for the Databases methods:
// 1 to 63 ASCII letters, digits and underscores, which every server
// takes (PostgreSQL truncates names beyond 63 bytes, MySQL refuses them
// beyond 64 characters) and which no quoting rule treats specially. The
// error wraps ErrBadDatabaseName.
func ValidateDatabaseName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("%w: %q: want 1 to 63 letters, digits and underscores", ErrBadDatabaseName, name)
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: %q: want 1 to 63 letters, digits and underscores", ErrBadDatabaseName, name)
		}
	}
	return nil
}

// Schemas creates, drops and finds the named schemas of one database, and
// pins a pool to one of them, for a database that has them
// (Capabilities.Schemas: PostgreSQL). The tenant registry's schema mode
// keeps a tenant per schema with it. It is not part of Dialect: callers
// check Capabilities().Schemas and assert the dialect to Schemas.
//
// Each method takes db, a pool on the database that holds (or is to hold)
// the schema, whose user may create schemas in it, and name, the schema's
// name, which it checks with ValidateSchemaName and quotes; values are
// bound as parameters.
type Schemas interface {
	// CreateSchema creates the empty schema name, which must not exist.
	CreateSchema(ctx context.Context, db *sql.DB, name string) error
	// DropSchema drops the schema name, if it exists, with everything in
	// it (CASCADE).
	DropSchema(ctx context.Context, db *sql.DB, name string) error
	// RenameSchema renames the schema from, which must exist, to to, which
	// must not, with everything in it.
	RenameSchema(ctx context.Context, db *sql.DB, from, to string) error
	// SchemaExists reports whether the database has a schema name.
	SchemaExists(ctx context.Context, db *sql.DB, name string) (bool, error)
	// SchemaURL returns u with the schema name as the only schema of every
	// connection's search path, set when the connection is made (so RESET
	// returns to it): unqualified names, in queries as in CREATE TABLE,
	// resolve in that schema and nowhere else (the system catalogs
	// excepted), and a table missing from it is an error rather than
	// another schema's table of the same name. A search path u sets is
	// replaced; one set through u's options parameter is refused.
	SchemaURL(u *URL, name string) (*URL, error)
	// SchemaSize returns the bytes on disk of the tables, indexes and
	// TOAST of the current schema of db's connection (the first of its
	// search path): a schema tenant's share of its database.
	SchemaSize(ctx context.Context, db queries.DBTX) (int64, error)
}

// ValidateSchemaName checks a schema name for the Schemas methods: the
// rules of ValidateDatabaseName, and not a name the server keeps for
// itself (pg_…, information_schema) nor public, the schema every
// database starts with. The error wraps ErrBadDatabaseName.
func ValidateSchemaName(name string) error {
	if err := ValidateDatabaseName(name); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	switch lower := strings.ToLower(name); {
	case strings.HasPrefix(lower, "pg_"), lower == "information_schema", lower == "public":
		return fmt.Errorf("%w: schema %q is reserved", ErrBadDatabaseName, name)
	}
	return nil
}
