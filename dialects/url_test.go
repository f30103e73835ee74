package dialects_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/quarry-go/quarry/dialects"
	_ "github.com/quarry-go/quarry/dialects/all"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		raw      string
		dialect  dialects.Name
		database string
		memory   bool
		dsnHas   []string // substrings of the driver DSN
	}{
		{"postgres", "postgres://u:p@db.example:5433/app?sslmode=disable", dialects.Postgres, "app", false,
			[]string{"postgres://u:p@db.example:5433/app?sslmode=disable"}},
		{"postgresql scheme", "postgresql://u@localhost/app", dialects.Postgres, "app", false, nil},
		{"mysql defaults", "mysql://root:pw@127.0.0.1:3306/shop", dialects.MySQL, "shop", false,
			[]string{"root:pw@tcp(127.0.0.1:3306)/shop", "parseTime=true", "charset=utf8mb4", "time_zone=%27%2B00%3A00%27", "interpolateParams=true"}},
		{"mysql default port", "mysql://root@db/shop", dialects.MySQL, "shop", false, []string{"tcp(db:3306)"}},
		{"mysql keeps params", "mysql://root@db:3306/shop?timeout=5s&parseTime=false", dialects.MySQL, "shop", false,
			[]string{"timeout=5s"}},
		{"mysql socket", "mysql://root@/shop?socket=/run/mysqld/mysqld.sock", dialects.MySQL, "shop", false,
			[]string{"unix(/run/mysqld/mysqld.sock)/shop"}},
		{"mariadb scheme", "mariadb://root@db/shop", dialects.MySQL, "shop", false, nil},
		{"sqlite relative", "sqlite:./var/app.db", dialects.SQLite, "./var/app.db", false,
			[]string{"./var/app.db?", "journal_mode%28WAL%29", "foreign_keys%281%29", "busy_timeout%2810000%29", "_time_format=sqlite", "_txlock=immediate"}},
		{"sqlite absolute", "sqlite:///srv/app.db", dialects.SQLite, "/srv/app.db", false, []string{"/srv/app.db?"}},
		{"sqlite memory", "sqlite::memory:", dialects.SQLite, ":memory:", true, []string{":memory:?"}},
		{"sqlite own pragma wins", "sqlite:app.db?_pragma=busy_timeout(50)", dialects.SQLite, "app.db", false,
			[]string{"busy_timeout%2850%29"}},
		{"sqlite3 scheme", "sqlite3:app.db", dialects.SQLite, "app.db", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := dialects.ParseURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if u.Dialect.Name() != tt.dialect || u.Database != tt.database || u.Memory != tt.memory {
				t.Errorf("got dialect %s database %q memory %v; want %s %q %v", u.Dialect.Name(), u.Database, u.Memory, tt.dialect, tt.database, tt.memory)
			}
			if tt.dialect == dialects.MySQL {
				cfg, err := gomysql.ParseDSN(u.DSN)
				if err != nil || cfg.Loc != time.UTC {
					t.Errorf("MySQL DSN %q: loc %v, err %v; want UTC", u.DSN, cfg.Loc, err)
				}
			}
			for _, s := range tt.dsnHas {
				if !strings.Contains(u.DSN, s) {
					t.Errorf("DSN %q lacks %q", u.DSN, s)
				}
			}
		})
	}
}

func TestParseURLSQLiteOverrideIsNotDoubled(t *testing.T) {
	t.Parallel()
	u, err := dialects.ParseURL("sqlite:app.db?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(u.DSN, "busy_timeout"); n != 1 {
		t.Errorf("busy_timeout appears %d times in %q", n, u.DSN)
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw      string
		sentinel error
		msgHas   string
	}{
		{"", dialects.ErrBadURL, "empty"},
		{"   ", dialects.ErrBadURL, "empty"},
		{"no-scheme-here", dialects.ErrBadURL, "no scheme"},
		{"oracle://u@h/db", dialects.ErrUnknownDialect, `scheme "oracle"`},
		{"mysql://root@/shop", dialects.ErrBadURL, "no host"},
		{"mysql://root@db:3306/", dialects.ErrBadURL, "database name"},
		{"mysql://root@db:3306/a/b", dialects.ErrBadURL, "database name"},
		{"mysql://root@db:3306/shop?parseTime=maybe", dialects.ErrBadURL, "parseTime"},
		{"mysql://root@db:3306/shop?charset=gbk&interpolateParams=true", dialects.ErrBadURL, "interpolateParams=true is unsafe with charset"},
		{"mysql://root@db:3306/shop?collation=sjis_japanese_ci&interpolateParams=true", dialects.ErrBadURL, "interpolateParams can not be used with unsafe collations"},
		{"mysql://root@db:3306/shop?%zz", dialects.ErrBadURL, "bad query string: invalid URL escape"},
		{"postgres://u@host:notaport/db", dialects.ErrBadURL, "not a valid URL: invalid port"},
		{"postgres:opaque", dialects.ErrBadURL, "want postgres://"},
		{"postgres://u@h/db?connect_timeout=abc", dialects.ErrBadURL, "connect_timeout"},
		{"sqlite:", dialects.ErrBadURL, "no file path"},
		{"sqlite://", dialects.ErrBadURL, "no file path"},
		{"sqlite:app.db?journal=wal", dialects.ErrBadURL, `unknown SQLite parameter "journal"`},
		{"sqlite:app.db?%zz", dialects.ErrBadURL, "bad query string"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			_, err := dialects.ParseURL(tt.raw)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("ParseURL(%q) = %v; want %v", tt.raw, err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.msgHas) {
				t.Errorf("error %q does not mention %q", err, tt.msgHas)
			}
		})
	}
}

func TestErrorsHidePasswords(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"mysql://root:hunter2@db:3306/shop?parseTime=maybe",
		"postgres://u:hunter2@host:notaport/db",
		"postgres://u:hunter2@h/db?connect_timeout=abc",
		"oracle://u:hunter2@h/db",
		"postgres://u:hun/ter2@h/db",
		"postgres://u:h?unter2@h/db",
		"postgres://u@h/db?password=hunter2&connect_timeout=abc",
		"mysql://root:hunter2@db:3306/",
		"mysql://root:hunter2@db:3306/shop?%zz",
	} {
		_, err := dialects.ParseURL(raw)
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "ter2") {
			t.Errorf("ParseURL(%q) error %v reveals the password", raw, err)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"postgres://u:secret@h:5432/db?x=1": "postgres://u:xxxxx@h:5432/db?x=1",
		"mysql://root@h/db":                 "mysql://root@h/db",
		"sqlite:./var/app.db":               "sqlite:./var/app.db",
		"postgres://u:p@ss@h/db":            "postgres://u:xxxxx@h/db",
		"postgres://u:pa/ss@h/db":           "postgres://(malformed, redacted)",
		"postgres://u@h/db?password=s3cret": "postgres://u@h/db?password=xxxxx",
		"sqlite::memory:":                   "sqlite::memory:",
	} {
		if got := dialects.Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q; want %q", raw, got, want)
		}
	}
}

func TestQuotingAndPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        dialects.Name
		quoted, p1, p3              string
		returning, servers, schemas bool
	}{
		{dialects.Postgres, `"we""ird"`, "$1", "$3", true, true, true},
		{dialects.MySQL, "`we``ird`", "?", "?", false, true, false},
		{dialects.SQLite, `"we""ird"`, "?", "?", true, false, false},
	}
	for _, tt := range tests {
		d, err := dialects.Lookup(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.QuoteIdent(`we"ird`); tt.name != dialects.MySQL && got != tt.quoted {
			t.Errorf("%s QuoteIdent = %s; want %s", tt.name, got, tt.quoted)
		}
		if got := d.QuoteIdent("we`ird"); tt.name == dialects.MySQL && got != tt.quoted {
			t.Errorf("%s QuoteIdent = %s; want %s", tt.name, got, tt.quoted)
		}
		if d.Placeholder(1) != tt.p1 || d.Placeholder(3) != tt.p3 {
			t.Errorf("%s placeholders %s %s", tt.name, d.Placeholder(1), d.Placeholder(3))
		}
		if c := d.Capabilities(); c.Returning != tt.returning || c.ServerDatabases != tt.servers || c.Schemas != tt.schemas {
			t.Errorf("%s capabilities %+v", tt.name, c)
		}
		files, err := fs.Glob(d.Migrations(), "*.sql")
		if string(d.GooseDialect()) == "" || err != nil || len(files) == 0 || d.DriverName() == "" {
			t.Errorf("%s: incomplete descriptor (migrations %v, %v)", tt.name, files, err)
		}
	}
	if _, err := dialects.Lookup("oracle"); !errors.Is(err, dialects.ErrUnknownDialect) {
		t.Errorf("Lookup(oracle) = %v", err)
	}
}

// FuzzParseURL checks that no input panics, that every accepted URL is
// complete, that every rejection wraps one of the package's sentinels, and
// that a password never shows in an error or in the redacted URL.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"postgres://u:p@h:5432/db?sslmode=disable", "mysql://root@127.0.0.1:3306/test?tls=false",
		"sqlite:./var/app.db", "sqlite::memory:", "sqlite:///tmp/x.db?_pragma=cache_size(-2000)",
		"mysql://root@/db?socket=/tmp/s", "oracle://x", "", ":", "sqlite:?", "postgres://%zz",
		"postgres://u:s3cr/et@h/db", "mysql://u:s3cret@h:1/", "postgres://u@h/db?password=s3cret&x=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := dialects.ParseURL(raw)
		secret := password(raw)
		if err != nil {
			if !errors.Is(err, dialects.ErrBadURL) && !errors.Is(err, dialects.ErrUnknownDialect) {
				t.Fatalf("ParseURL(%q) error %v wraps no sentinel", raw, err)
			}
			if secret != "" && strings.Contains(err.Error(), secret) {
				t.Fatalf("ParseURL(%q) error %q reveals the password %q", raw, err, secret)
			}
			return
		}
		if u.Dialect == nil || u.DSN == "" || u.Raw != raw {
			t.Fatalf("ParseURL(%q) accepted an incomplete URL: %+v", raw, u)
		}
		if secret != "" && strings.Contains(u.String(), secret) {
			t.Fatalf("URL(%q).String() = %q reveals the password %q", raw, u.String(), secret)
		}
	})
}

// password returns the text between "://user:" and the last "@" before the
// path, when it is long enough and appears nowhere else in raw — the part
// of a fuzzed URL that must stay hidden.
func password(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok || len(pw) < 4 || strings.Count(raw, pw) != 1 || pw == "xxxxx" {
		return ""
	}
	return pw
}

// TestMySQLInterpolation: values are bound by the driver only in charsets
// where its escaping is sound (a GBK character can end in 0x5c, the
// backslash, and so close a quoted value).
func TestMySQLInterpolation(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"mysql://root@db/shop":                                      true,
		"mysql://root@db/shop?charset=utf8mb4":                      true,
		"mysql://root@db/shop?charset=latin1":                       true,
		"mysql://root@db/shop?charset=utf8mb4,utf8":                 true,
		"mysql://root@db/shop?collation=utf8mb4_bin":                true,
		"mysql://root@db/shop?charset=gbk":                          false,
		"mysql://root@db/shop?charset=utf8mb4,big5":                 false,
		"mysql://root@db/shop?collation=cp932_japanese_ci":          false,
		"mysql://root@db/shop?charset=sjis&interpolateParams=false": false,
		"mysql://root@db/shop?interpolateParams=false":              false,
	} {
		u, err := dialects.ParseURL(raw)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", raw, err)
		}
		if got := strings.Contains(u.DSN, "interpolateParams=true"); got != want {
			t.Errorf("%s: interpolation %v, want %v (DSN %s)", raw, got, want, u.DSN)
		}
	}
}
