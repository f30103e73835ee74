package sqlite

import (
	"strings"

	gosqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/quarry-go/quarry/dialects/internal/dberr"
	"github.com/quarry-go/quarry/queries"
)

// ClassifyError tags a SQLite error with the matching sentinel of package
// store (sql.ErrNoRows is queries.ErrNotFound; unique, foreign key, not null
// and check violations; SQLITE_BUSY and SQLITE_LOCKED are
// queries.ErrConflict; SQLITE_TOOBIG is queries.ErrTooLong, as SQLite does not
// enforce declared lengths), so that errors.Is matches the sentinel while
// errors.Is and errors.As still reach the *sqlite.Error. Other errors, and
// errors already tagged, are returned unchanged. The generated adapter
// (Queries) returns its errors through it.
func ClassifyError(err error) error { return dberr.Classify(err, sentinel) }

// sentinel is the store error for a SQLite (extended) result code, or nil.
func sentinel(e *gosqlite.Error) error {
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return queries.ErrUniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return queries.ErrForeignKeyViolation
	case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
		// ON DELETE RESTRICT is enforced like a trigger and reported so.
		if strings.Contains(e.Error(), "FOREIGN KEY constraint failed") {
			return queries.ErrForeignKeyViolation
		}
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return queries.ErrNotNullViolation
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		return queries.ErrCheckViolation
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return queries.ErrConflict
	case sqlite3.SQLITE_TOOBIG:
		return queries.ErrTooLong
	}
	return nil
}
