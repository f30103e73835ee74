package dialects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	db, err := u.Dialect.OpenPool(u)
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
