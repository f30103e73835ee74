package mysql

import (
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/quarry-go/quarry/dialects/internal/dberr"
	"github.com/quarry-go/quarry/queries"
)

// ClassifyError tags a MySQL/MariaDB error with the matching sentinel of
// package queries (sql.ErrNoRows is queries.ErrNotFound; unique, foreign key,
// not null and check violations; deadlocks and lock wait timeouts are
// queries.ErrConflict; too long a value is queries.ErrTooLong), so that
// errors.Is matches the sentinel while errors.Is and errors.As still reach
// the *mysql.MySQLError. Other errors, and errors already tagged, are
// returned unchanged. The generated adapter (Queries) returns its errors
// through it.
func ClassifyError(err error) error { return dberr.Classify(err, sentinel) }

// sentinel is the store error for a MySQL/MariaDB error number, or nil.
// https://mariadb.com/kb/en/mariadb-error-code-reference/
func sentinel(e *gomysql.MySQLError) error {
	switch e.Number {
	case 1062, 1586:
		return queries.ErrUniqueViolation
	case 1451, 1452, 1216, 1217:
		return queries.ErrForeignKeyViolation
	case 1048, 1364:
		return queries.ErrNotNullViolation
	case 3819, 4025:
		return queries.ErrCheckViolation
	case 1213, 1205:
		return queries.ErrConflict
	case 1406:
		return queries.ErrTooLong
	}
	return nil
}
