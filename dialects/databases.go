package dialects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// DatabaseExists reports whether the server has a database name.
	DatabaseExists(ctx context.Context, admin *sql.DB, name string) (bool, error)
	// MaintenanceURL returns the URL of a database every server of the
	// dialect has (PostgreSQL: postgres; MySQL: information_schema) on
	// u's server, with u's user and parameters, to connect to when
	// creating or dropping another database there.
	MaintenanceURL(u *URL) (*URL, error)
}

// ErrNoServerDatabases is wrapped by the Databases methods of a dialect
// whose database is not one of a server's named databases
// (Capabilities.ServerDatabases is false: SQLite).
var ErrNoServerDatabases = errors.New("dialects: this database has no named databases on a server")

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
