package dialects

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/queries"
)

// Open parses rawURL, opens a tuned connection pool for its dialect and
// checks that the database answers. The caller closes the returned *sql.DB.
func Open(ctx context.Context, rawURL string) (*sql.DB, *URL, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	db, err := OpenURL(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	return db, u, nil
}

// OpenURL opens a tuned pool for an already parsed URL and pings it.
func OpenURL(ctx context.Context, u *URL) (*sql.DB, error) {
	db, err := u.Dialect.open(u)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", u, err)
	}
	for attempt := 1; ; attempt++ {
		err = db.PingContext(ctx)
		if err == nil {
			return db, nil
		}
		// Several processes opening a new SQLite file at once all switch it
		// to WAL; that takes a lock for which SQLite runs no busy handler,
		// so all but one are told "busy" at once. The switch is quick: try
		// again (the failed connection is discarded, the next one re-runs
		// the pragmas).
		if attempt == 40 || !errors.Is(u.Dialect.ClassifyError(err), queries.ErrConflict) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
			continue
		}
		break
	}
	db.Close()
	return nil, fmt.Errorf("connect to %s: %w", u, err)
}

func setPool(db *sql.DB, size int, lifetime time.Duration) {
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	db.SetConnMaxLifetime(lifetime)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// serverPoolSize is the default pool size for client/server databases: four
// per core, at least 8 and at most 20, so that five app instances stay
// within PostgreSQL's default max_connections of 100. Change it with
// (*sql.DB).SetMaxOpenConns.
func serverPoolSize() int { return min(20, max(8, 4*runtime.NumCPU())) }

// migrationsDir returns the migrations/ directory of a dialect package's
// embedded files.
func migrationsDir(files embed.FS) fs.FS {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		panic(err) // "migrations" is a valid path; fs.Sub fails only on invalid ones
	}
	return sub
}

func quoteWith(name string, q byte) string {
	s := string(q)
	return s + strings.ReplaceAll(name, s, s+s) + s
}

func tableLockerOptions() []lock.TableLockerOption {
	return []lock.TableLockerOption{
		lock.WithTableName("quarry_migrate_lock"),
		// Probe every 500ms for up to 5 minutes so a second deploy waits its turn.
		lock.WithTableLockTimeout(500*time.Millisecond, 600),
	}
}

// queryStrings runs a query returning one text column.
func queryStrings(ctx context.Context, db queries.DBTX, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
