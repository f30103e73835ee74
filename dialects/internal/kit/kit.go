// Package kit holds what the dialect packages (dialects/postgres, mysql,
// sqlite) share: pool tuning, identifier quoting, the migration lock
// table, catalog helpers, and URL error wording that never echoes a
// password. Package dialects uses the URL helpers too.
package kit

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/queries"
)

// SetPool sizes and ages a pool.
func SetPool(db *sql.DB, size int, lifetime time.Duration) {
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	db.SetConnMaxLifetime(lifetime)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// ServerPoolSize is the default pool size for client/server databases: four
// per core, at least 8 and at most 20, so that five app instances stay
// within PostgreSQL's default max_connections of 100. Change it with
// (*sql.DB).SetMaxOpenConns.
func ServerPoolSize() int { return min(20, max(8, 4*runtime.NumCPU())) }

// MigrationsDir returns the migrations/ directory of a dialect package's
// embedded files.
func MigrationsDir(files embed.FS) fs.FS {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		panic(err) // "migrations" is a valid path; fs.Sub fails only on invalid ones
	}
	return sub
}

// QuoteWith quotes an identifier with q, doubling any q inside it.
func QuoteWith(name string, q byte) string {
	s := string(q)
	return s + strings.ReplaceAll(name, s, s+s) + s
}

// TableLockerOptions are the options of goose's table locker that every
// server dialect uses: Quarry's own lock table, and a second deploy waits
// its turn (probing every 500ms for up to 5 minutes).
func TableLockerOptions() []lock.TableLockerOption {
	return []lock.TableLockerOption{
		lock.WithTableName("quarry_migrate_lock"),
		lock.WithTableLockTimeout(500*time.Millisecond, 600),
	}
}

// QueryStrings runs a query returning one text column.
func QueryStrings(ctx context.Context, db queries.DBTX, q string, args ...any) ([]string, error) {
	return QueryAll(ctx, db, q, func(s *string) []any { return []any{s} }, args...)
}

// Redact returns the URL with any password — in the user info or in a
// password query parameter — replaced by "xxxxx", safe to log. A URL too
// malformed to find its parts in is reduced to its scheme.
func Redact(raw string) string {
	out := redact(raw)
	// Safety net for URLs url.Parse reads differently from the eye (a '#'
	// or '?' inside the user info): anything between "user:" and the last
	// '@' must not survive.
	if _, rest, ok := strings.Cut(out, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" && pw != "xxxxx" {
				scheme, _, _ := strings.Cut(raw, "://")
				return scheme + "://(malformed, redacted)"
			}
		}
	}
	return out
}

func redact(raw string) string {
	scheme, _, hasAuthority := strings.Cut(raw, "://")
	u, err := url.Parse(raw)
	if err != nil {
		if hasAuthority {
			return scheme + "://(malformed, redacted)"
		}
		return raw // sqlite:… URLs carry no credentials
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			changed = true
		}
	}
	if q := u.Query(); len(q) > 0 {
		for key := range q {
			if strings.EqualFold(key, "password") {
				q.Set(key, "xxxxx")
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return raw
	}
	return u.String()
}

// QuoteRedacted is the redacted URL in double quotes, for error messages.
func QuoteRedacted(raw string) string { return fmt.Sprintf("%q", Redact(raw)) }

// URLProblem names what url.Parse disliked without echoing any part of the
// URL, which may hold the password.
func URLProblem(err error) string {
	msg := err.Error()
	for _, known := range []string{"invalid port", "invalid userinfo", "invalid URL escape", "invalid character", "missing protocol scheme"} {
		if strings.Contains(msg, known) {
			return known + " (percent-encode special characters in the user name and password)"
		}
	}
	return "malformed"
}
