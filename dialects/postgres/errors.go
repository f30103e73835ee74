package postgres

import (
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarry-go/quarry/dialects/internal/dberr"
	"github.com/quarry-go/quarry/queries"
)

// ClassifyError tags a PostgreSQL error with the matching sentinel of
// package queries (sql.ErrNoRows is queries.ErrNotFound; unique, foreign key,
// not null and check violations; serialization failures and deadlocks are
// queries.ErrConflict; too long a value is queries.ErrTooLong), so that
// errors.Is matches the sentinel while errors.Is and errors.As still reach
// the *pgconn.PgError. Other errors, and errors already tagged, are returned
// unchanged. The generated adapter (Queries) returns its errors through it.
func ClassifyError(err error) error { return dberr.Classify(err, sentinel) }

// sentinel is the store error for a PostgreSQL error code, or nil.
// https://www.postgresql.org/docs/current/errcodes-appendix.html
func sentinel(e *pgconn.PgError) error {
	switch e.Code {
	case "23505":
		return queries.ErrUniqueViolation
	case "23503":
		return queries.ErrForeignKeyViolation
	case "23502":
		return queries.ErrNotNullViolation
	case "23514":
		return queries.ErrCheckViolation
	case "40001", "40P01":
		return queries.ErrConflict
	case "22001":
		return queries.ErrTooLong
	}
	return nil
}
