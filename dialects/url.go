package dialects

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/dialects/internal/kit"
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
// an error: a SQLite database is a file, not a name on a server
// (Capabilities.ServerDatabases is false).
func (u *URL) WithDatabase(name string) (*URL, error) {
	if !u.Dialect.Capabilities().ServerDatabases {
		return nil, fmt.Errorf("%w: a SQLite URL names a file, not a database on a server", ErrBadURL)
	}
	pu, err := url.Parse(u.Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrBadURL, kit.QuoteRedacted(u.Raw), kit.URLProblem(err))
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
		return nil, fmt.Errorf("%w %s: no scheme (want postgres://, mysql:// or sqlite:)", ErrBadURL, kit.QuoteRedacted(raw))
	}
	d, ok := lookupScheme(strings.ToLower(scheme))
	if !ok {
		return nil, fmt.Errorf("%w: scheme %q in %s (want one of %s)", ErrUnknownDialect, scheme, kit.QuoteRedacted(raw), schemeList())
	}
	return d.ParseURL(raw)
}

// Redact returns the URL with any password — in the user info or in a
// password query parameter — replaced by "xxxxx", safe to log. A URL too
// malformed to find its parts in is reduced to its scheme.
func Redact(raw string) string { return kit.Redact(raw) }
