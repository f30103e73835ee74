package dialects_test

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarry-go/quarry/queries"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/mysql"
	"github.com/quarry-go/quarry/dialects/postgres"
	"github.com/quarry-go/quarry/dialects/sqlite"
)

// TestClassifyError checks each dialect's ClassifyError (which the
// generated adapters call) without a server: the sentinel matches, the
// driver's error stays reachable, other errors pass through, and an error
// classified once (as an adapter returns it) is not wrapped again.
func TestClassifyError(t *testing.T) {
	t.Parallel()
	other := errors.New("something else")
	for _, c := range []struct {
		d        dialects.Dialect
		err      error
		sentinel error
	}{
		{postgres.Dialect{}, &pgconn.PgError{Code: "23505"}, queries.ErrUniqueViolation},
		{postgres.Dialect{}, &pgconn.PgError{Code: "22001"}, queries.ErrTooLong},
		{postgres.Dialect{}, &pgconn.PgError{Code: "40P01"}, queries.ErrConflict},
		{postgres.Dialect{}, &pgconn.PgError{Code: "42P01"}, nil},
		{mysql.Dialect{}, &gomysql.MySQLError{Number: 1452}, queries.ErrForeignKeyViolation},
		{mysql.Dialect{}, &gomysql.MySQLError{Number: 1406}, queries.ErrTooLong},
		{mysql.Dialect{}, &gomysql.MySQLError{Number: 1146}, nil},
		{postgres.Dialect{}, sql.ErrNoRows, queries.ErrNotFound},
		{mysql.Dialect{}, sql.ErrNoRows, queries.ErrNotFound},
		{sqlite.Dialect{}, sql.ErrNoRows, queries.ErrNotFound},
		{sqlite.Dialect{}, other, nil},
		{postgres.Dialect{}, nil, nil},
	} {
		name := fmt.Sprintf("%s %v", c.d.Name(), c.err)
		got := c.d.ClassifyError(c.err)
		if c.sentinel == nil {
			if got != c.err {
				t.Errorf("%s: %v (%T); want it unchanged", name, got, got)
			}
			continue
		}
		if !errors.Is(got, c.sentinel) || !errors.Is(got, c.err) || got.Error() != c.err.Error() {
			t.Errorf("%s: %v; want %v wrapping the driver's error", name, got, c.sentinel)
		}
		wrapped := fmt.Errorf("context: %w", got)
		if again := c.d.ClassifyError(wrapped); again != wrapped {
			t.Errorf("%s: classified twice: %v (%T); want it unchanged", name, again, again)
		}
	}
}
