package mysql

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/queries"
)

var _ dialects.Databases = Dialect{}

// maintenanceDatabase is the database every MySQL and MariaDB server has
// (read-only views of the catalog), to connect to without using another.
const maintenanceDatabase = "information_schema"

// quarryCharset is the character set and collation CreateDatabase gives
// a database, which Quarry's tables and the tests expect whatever the
// server's defaults (latin1 on old servers, uca1400 collations on recent
// MariaDB).
const quarryCharset = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

// CreateDatabase runs CREATE DATABASE … CHARACTER SET utf8mb4 COLLATE
// utf8mb4_unicode_ci.
func (d Dialect) CreateDatabase(ctx context.Context, admin *sql.DB, name string) error {
	return d.createDatabase(ctx, admin, name, quarryCharset)
}

// createDatabase runs CREATE DATABASE name followed by charset, a
// CHARACTER SET … COLLATE … clause of plain words (see charsetOf) or "".
// CreateDatabase and CreateScratch differ only in it.
func (d Dialect) createDatabase(ctx context.Context, admin *sql.DB, name, charset string) error {
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return err
	}
	_, err := admin.ExecContext(ctx, "CREATE DATABASE "+d.QuoteIdent(name)+charset)
	return ClassifyError(err)
}

// DropDatabase runs DROP DATABASE IF EXISTS, which does not wait for the
// sessions connected to it unless one holds a lock in it.
func (d Dialect) DropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return err
	}
	_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d.QuoteIdent(name))
	return ClassifyError(err)
}

// RenameDatabase refuses: MySQL and MariaDB have no statement that
// renames a database (RENAME DATABASE was removed in MySQL 5.1.23), and
// moving every table with RENAME TABLE would leave views, routines,
// triggers, events and grants behind.
func (Dialect) RenameDatabase(context.Context, *sql.DB, string, string) error {
	return fmt.Errorf("%w: MySQL and MariaDB cannot rename a database", dialects.ErrUnsupported)
}

// DatabaseExists looks name up in information_schema.SCHEMATA.
func (Dialect) DatabaseExists(ctx context.Context, admin *sql.DB, name string) (bool, error) {
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return false, err
	}
	var n int
	err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, name).Scan(&n)
	return n > 0, ClassifyError(err)
}

// MaintenanceURL is u's server's information_schema.
func (Dialect) MaintenanceURL(u *dialects.URL) (*dialects.URL, error) {
	if u == nil || u.Dialect == nil || u.Dialect.Name() != dialects.MySQL {
		return nil, fmt.Errorf("%w: MaintenanceURL of MySQL needs a mysql:// URL", dialects.ErrBadURL)
	}
	return u.WithDatabase(maintenanceDatabase)
}

// DatabaseSize sums the data and index lengths information_schema
// reports for the current database's tables (InnoDB's estimates).
func (Dialect) DatabaseSize(ctx context.Context, db queries.DBTX) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("mysql: size: %w", ClassifyError(err))
	}
	return n, nil
}
