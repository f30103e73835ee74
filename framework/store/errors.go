package store

import "errors"

// Sentinel errors for database failures a caller can act on. The generated
// adapters tag every driver error they return with them (through their
// dialect's ClassifyError, see package dialects, which also serves
// hand-written SQL), so errors.Is(err, store.ErrUniqueViolation) works on
// every database while the driver's own error stays reachable with
// errors.As.
var (
	// ErrNotFound: a query for one row found none (sql.ErrNoRows).
	ErrNotFound = errors.New("store: not found")
	// ErrUniqueViolation: a unique or primary key constraint was violated.
	ErrUniqueViolation = errors.New("store: unique constraint violated")
	// ErrForeignKeyViolation: a foreign key constraint was violated.
	ErrForeignKeyViolation = errors.New("store: foreign key constraint violated")
	// ErrNotNullViolation: NULL was written to a NOT NULL column.
	ErrNotNullViolation = errors.New("store: not-null constraint violated")
	// ErrCheckViolation: a CHECK constraint was violated.
	ErrCheckViolation = errors.New("store: check constraint violated")
	// ErrConflict: a deadlock, serialization failure or lock timeout; the
	// transaction may succeed if retried.
	ErrConflict = errors.New("store: transaction conflict, retry")
	// ErrTooLong: a value is longer than its column allows (PostgreSQL and
	// MySQL; SQLite does not enforce declared lengths).
	ErrTooLong = errors.New("store: value too long for column")
)
