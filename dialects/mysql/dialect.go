package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

func init() { dialects.Register(Dialect{}) }

// Dialect is MySQL and MariaDB. Reach it through dialects.ParseURL or
// dialects.Lookup("mysql"); its methods are described on dialects.Dialect.
type Dialect struct{}

var _ dialects.Dialect = Dialect{}

// Name is "mysql".
func (Dialect) Name() dialects.Name { return dialects.MySQL }

// Schemes are mysql:// and mariadb://.
func (Dialect) Schemes() []string { return []string{"mysql", "mariadb"} }

// DriverName is go-sql-driver/mysql's.
func (Dialect) DriverName() string { return "mysql" }

// Capabilities: no RETURNING (MariaDB has it for INSERT and DELETE only, so
// the family is treated as lacking it), no transactional DDL; decimals and
// enums compared with text parameters as doubles and as text.
func (Dialect) Capabilities() dialects.Capabilities {
	return dialects.Capabilities{ConcurrentWriters: true, ServerDatabases: true, OrderedDatetimeCompare: true}
}

// FoldCase is LOWER, which folds by Unicode rules.
func (Dialect) FoldCase(expr string) string { return "LOWER(" + expr + ")" }

// QuoteIdent quotes with backticks.
func (Dialect) QuoteIdent(name string) string { return kit.QuoteWith(name, '`') }

// Placeholder is ?.
func (Dialect) Placeholder(int) string { return "?" }

// GooseDialect is goose's mysql dialect.
func (Dialect) GooseDialect() database.Dialect { return database.DialectMySQL }

// Migrations are the framework's MySQL migrations.
func (Dialect) Migrations() fs.FS { return kit.MigrationsDir(Migrations) }

// Queries returns the framework's queries over db.
func (Dialect) Queries(db queries.DBTX) queries.Querier { return New(db) }

// MigrationLocker is goose's table locker.
func (Dialect) MigrationLocker(*dialects.URL) (lock.Locker, error) {
	return lock.NewMySQLTableLocker(kit.TableLockerOptions()...)
}

// ParseURL turns mysql://user:pass@host:3306/db?param=value into the driver's
// DSN user:pass@tcp(host:3306)/db?param=value with Quarry's defaults added:
// parseTime, UTC for time.Time and the session time zone, utf8mb4, and
// clientFoundRows so an UPDATE reports the rows it matched, as PostgreSQL
// and SQLite do, not only those whose values changed, and interpolateParams
// (values bound by the driver: one round trip per query).
// ?socket=/path connects over a unix socket instead of TCP.
func (d Dialect) ParseURL(raw string) (*dialects.URL, error) {
	pu, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid URL: %s", dialects.ErrBadURL, kit.QuoteRedacted(raw), kit.URLProblem(err))
	}
	q, err := url.ParseQuery(pu.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid URL: bad query string: %s", dialects.ErrBadURL, kit.QuoteRedacted(raw), kit.URLProblem(err))
	}
	if pu.Opaque != "" || pu.Host == "" && q.Get("socket") == "" {
		return nil, fmt.Errorf("%w: %s has no host: want mysql://user:pass@host:3306/db", dialects.ErrBadURL, kit.QuoteRedacted(raw))
	}
	dbName := strings.TrimPrefix(pu.Path, "/")
	if dbName == "" || strings.Contains(dbName, "/") {
		return nil, fmt.Errorf("%w: %s: want exactly one database name in the path, as in mysql://user:pass@host:3306/db", dialects.ErrBadURL, kit.QuoteRedacted(raw))
	}
	cfg := gomysql.NewConfig()
	cfg.User = pu.User.Username()
	cfg.Passwd, _ = pu.User.Password()
	cfg.DBName = dbName
	if sock := q.Get("socket"); sock != "" {
		cfg.Net, cfg.Addr = "unix", sock
		q.Del("socket")
	} else {
		cfg.Net, cfg.Addr = "tcp", pu.Host
		if pu.Port() == "" {
			cfg.Addr = pu.Host + ":3306"
		}
	}
	// Let the driver parse the remaining parameters so unknown or malformed
	// ones are reported in its own words.
	dsn := cfg.FormatDSN()
	if len(q) > 0 {
		dsn += "?" + q.Encode()
	}
	parsed, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", dialects.ErrBadURL, kit.QuoteRedacted(raw), err)
	}
	if !q.Has("parseTime") {
		parsed.ParseTime = true
	}
	if !q.Has("loc") {
		parsed.Loc = time.UTC
	}
	if !q.Has("clientFoundRows") {
		parsed.ClientFoundRows = true
	}
	// Bind values on the client: one round trip per query instead of
	// prepare, execute and close. The driver's escaping is sound only in
	// charsets where no multibyte character can end in a quote or backslash
	// byte (utf8mb4, Quarry's default, and a few others); with GBK, SJIS,
	// Big5 and the like a value could close its own quotes, so there values
	// stay bound by the server, and asking for interpolation is refused.
	safe := safeInterpolationCharset(q.Get("charset"), q.Get("collation"))
	switch {
	case !q.Has("interpolateParams"):
		parsed.InterpolateParams = safe
	case parsed.InterpolateParams && !safe:
		return nil, fmt.Errorf("%w: %s: interpolateParams=true is unsafe with charset %q / collation %q (a value could escape its quotes): use utf8mb4 or drop interpolateParams",
			dialects.ErrBadURL, kit.QuoteRedacted(raw), q.Get("charset"), q.Get("collation"))
	}
	if parsed.Params == nil {
		parsed.Params = map[string]string{}
	}
	if !q.Has("time_zone") {
		parsed.Params["time_zone"] = "'+00:00'"
	}
	if !q.Has("charset") && !q.Has("collation") {
		if err := parsed.Apply(gomysql.Charset("utf8mb4", "utf8mb4_unicode_ci")); err != nil {
			return nil, fmt.Errorf("%w: %v", dialects.ErrBadURL, err)
		}
	}
	return &dialects.URL{Dialect: d, Raw: raw, DSN: parsed.FormatDSN(), Database: dbName}, nil
}

// interpolationSafe are the charsets in which the MySQL driver's
// client-side escaping cannot be undone by a multibyte character.
var interpolationSafe = []string{"utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "binary"}

// safeInterpolationCharset reports whether every charset the URL names (a
// comma-separated charset list, and the collation's charset) is safe for
// client-side interpolation. Naming none means Quarry's utf8mb4.
func safeInterpolationCharset(charset, collation string) bool {
	var names []string
	for _, c := range strings.Split(charset, ",") {
		if c = strings.TrimSpace(c); c != "" {
			names = append(names, c)
		}
	}
	if collation != "" {
		cs, _, _ := strings.Cut(collation, "_")
		names = append(names, cs)
	}
	for _, n := range names {
		if !slices.Contains(interpolationSafe, strings.ToLower(n)) {
			return false
		}
	}
	return true
}

// OpenPool opens a pool that recycles connections well inside the
// server's wait_timeout.
func (Dialect) OpenPool(u *dialects.URL) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(u.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", dialects.ErrBadURL, err)
	}
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", dialects.ErrBadURL, err)
	}
	db := sql.OpenDB(connector)
	// Recycle connections well inside the server's wait_timeout.
	kit.SetPool(db, kit.ServerPoolSize(), 3*time.Minute)
	return db, nil
}

// TableNames lists the base tables of the current database.
func (Dialect) TableNames(ctx context.Context, db queries.DBTX) ([]string, error) {
	return kit.QueryStrings(ctx, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`)
}

// ClassifyError is the package's ClassifyError.
func (Dialect) ClassifyError(err error) error { return ClassifyError(err) }
