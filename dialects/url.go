package dialects

import (
	"fmt"
	"net/url"
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

// WithDatabase returns the URL of another database on the same server
// (PostgreSQL, MySQL), keeping user, host and parameters. For SQLite it is
// an error: a SQLite database is a file, not a name on a server.
func (u *URL) WithDatabase(name string) (*URL, error) {
	if u.Dialect.Name() == SQLite {
		return nil, fmt.Errorf("%w: a SQLite URL names a file, not a database on a server", ErrBadURL)
	}
	pu, err := url.Parse(u.Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrBadURL, quoteRedacted(u.Raw), urlProblem(err))
	}
	pu.Path = "/" + name
	pu.RawPath = ""
	return ParseURL(pu.String())
}

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

func quoteRedacted(raw string) string { return fmt.Sprintf("%q", Redact(raw)) }

// urlProblem names what url.Parse disliked without echoing any part of the
// URL, which may hold the password.
func urlProblem(err error) string {
	msg := err.Error()
	for _, known := range []string{"invalid port", "invalid userinfo", "invalid URL escape", "invalid character", "missing protocol scheme"} {
		if strings.Contains(msg, known) {
			return known + " (percent-encode special characters in the user name and password)"
		}
	}
	return "malformed"
}
