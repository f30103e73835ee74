package queries

import "errors"

// Sentinel errors for database failures a caller can act on. The generated
// adapters tag every driver error they return with them (through their
// dialect's ClassifyError, see package dialects, which also serves
// hand-written SQL), so errors.Is(err, queries.ErrUniqueViolation) works on
// every database while the driver's own error stays reachable with
// errors.As.
var (
	// ErrNotFound: a query for one row found none (sql.ErrNoRows).
	ErrNotFound = errors.New("queries: not found")
	// ErrUniqueViolation: a unique or primary key constraint was violated.
	ErrUniqueViolation = errors.New("queries: unique constraint violated")
	// ErrForeignKeyViolation: a foreign key constraint was violated.
	ErrForeignKeyViolation = errors.New("queries: foreign key constraint violated")
	// ErrNotNullViolation: NULL was written to a NOT NULL column.
	ErrNotNullViolation = errors.New("queries: not-null constraint violated")
	// ErrCheckViolation: a CHECK constraint was violated.
	ErrCheckViolation = errors.New("queries: check constraint violated")
	// ErrConflict: a deadlock, serialization failure or lock timeout; the
	// transaction may succeed if retried.
	ErrConflict = errors.New("queries: transaction conflict, retry")
	// ErrTooLong: a value is longer than its column allows (PostgreSQL and
	// MySQL; SQLite does not enforce declared lengths).
	ErrTooLong = errors.New("queries: value too long for column")
)
