package dialects

import (
	"fmt"
	"strings"
)

// URL is a parsed DATABASE_URL.
type URL struct {
	// Dialect is the database family the URL names.
	Dialect Dialect
	// Raw is the URL as given.
	Raw string
	// DSN is the data source name handed to the database/sql driver.
	DSN string
	// Database is the database name (PostgreSQL, MySQL) or the file path
	// (SQLite; ":memory:" for an in-memory database).
	Database string
	// Memory is true for an in-memory SQLite database, private to one pool.
	Memory bool
}

// String returns the URL with any password replaced by "xxxxx", safe to log.
func (u *URL) String() string { return Redact(u.Raw) }

// ParseURL parses a DATABASE_URL. The scheme chooses the dialect:
// postgres:// or postgresql://, mysql:// (also used for MariaDB), and
// sqlite: (sqlite:./path.db, sqlite:///abs/path.db or sqlite::memory:).
// Errors wrap [ErrBadURL] or [ErrUnknownDialect] and name what is wrong.
func ParseURL(raw string) (*URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%w: empty (set DATABASE_URL, e.g. sqlite:./var/app.db)", ErrBadURL)
	}
	scheme, _, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("%w %s: no scheme (want postgres://, mysql:// or sqlite:)", ErrBadURL, quoteRedacted(raw))
	}
	name, ok := schemes[strings.ToLower(scheme)]
	if !ok {
		return nil, fmt.Errorf("%w: scheme %q in %s (want postgres://, mysql:// or sqlite:)", ErrUnknownDialect, scheme, quoteRedacted(raw))
	}
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return d.parse(raw)
}

// schemes maps accepted URL schemes to dialects.
var schemes = map[string]Name{
	"postgres":   Postgres,
	"postgresql": Postgres,
	"mysql":      MySQL,
	"mariadb":    MySQL,
	"sqlite":     SQLite,
	"sqlite3":    SQLite,
}

// Redact replaces the password in a URL with "xxxxx".
func Redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, tail, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(authority[:at], ":")
	if !hasPass {
		return raw
	}
	out := scheme + "://" + user + ":xxxxx" + authority[at:]
	if strings.Contains(rest, "/") {
		out += "/" + tail
	}
	return out
}

func quoteRedacted(raw string) string { return fmt.Sprintf("%q", Redact(raw)) }
