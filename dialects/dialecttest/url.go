package dialecttest

import (
	"errors"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
)

// secret is the password in the suite's URLs; it must never be printed.
const secret = "s3cr3tPw"

// urlFamily is the DATABASE_URL forms of one database family: a reference
// URL (which tells, once parsed, whose family it is), forms that parse, and
// forms that must be refused with dialects.ErrBadURL.
type urlFamily struct {
	reference string
	good      []goodURL
	bad       []string
}

type goodURL struct {
	raw      string
	database string
	memory   bool
}

// urlFamilies lists every family's forms; the suite runs the family whose
// reference URL parses to the dialect under test.
var urlFamilies = []urlFamily{
	{
		reference: "postgres://u@localhost/app",
		good: []goodURL{
			{raw: "postgres://u:" + secret + "@db.example:5433/app?sslmode=disable", database: "app"},
			{raw: "postgresql://u@localhost/app", database: "app"},
			{raw: "postgres://u@localhost/app?password=" + secret, database: "app"},
		},
		bad: []string{
			"postgres://u:" + secret + "@host:notaport/db",
			"postgres://u:" + secret + "@h/db?connect_timeout=abc",
			"postgres://u@h/db?password=" + secret + "&connect_timeout=abc",
			"postgres:opaque",
		},
	},
	{
		reference: "mysql://root@localhost/app",
		good: []goodURL{
			{raw: "mysql://root:" + secret + "@127.0.0.1:3306/shop", database: "shop"},
			{raw: "mariadb://root@db/shop", database: "shop"},
			{raw: "mysql://root@/shop?socket=/run/mysqld/mysqld.sock", database: "shop"},
		},
		bad: []string{
			"mysql://root:" + secret + "@db:3306/",
			"mysql://root:" + secret + "@db:3306/a/b",
			"mysql://root:" + secret + "@/shop",
			"mysql://root:" + secret + "@db:3306/shop?parseTime=maybe",
			"mysql://root:" + secret + "@db:3306/shop?%zz",
		},
	},
	{
		reference: "sqlite:app.db",
		good: []goodURL{
			{raw: "sqlite:./var/app.db", database: "./var/app.db"},
			{raw: "sqlite:///srv/app.db", database: "/srv/app.db"},
			{raw: "sqlite3:app.db", database: "app.db"},
			{raw: "sqlite::memory:", database: ":memory:", memory: true},
		},
		bad: []string{
			"sqlite:",
			"sqlite://",
			"sqlite:app.db?journal=wal",
			"sqlite:app.db?%zz",
		},
	},
}

// testURL: the dialect's DATABASE_URL forms parse to it with their database
// name; malformed ones are ErrBadURL; no URL, redacted URL or error shows
// the password.
func testURL(t *testing.T, open Open) {
	// No database is needed beyond learning the dialect.
	d := open(t).Dialect
	var fam *urlFamily
	for i := range urlFamilies {
		u, err := dialects.ParseURL(urlFamilies[i].reference)
		if err == nil && u.Dialect.Name() == d.Name() {
			fam = &urlFamilies[i]
		}
	}
	if fam == nil {
		t.Fatalf("no URL forms known for dialect %q: add its family to urlFamilies", d.Name())
	}
	for _, g := range fam.good {
		u, err := dialects.ParseURL(g.raw)
		if err != nil {
			t.Errorf("ParseURL(%s): %v", dialects.Redact(g.raw), err)
			continue
		}
		if u.Dialect.Name() != d.Name() || u.Database != g.database || u.Memory != g.memory || u.Raw != g.raw || u.DSN == "" {
			t.Errorf("ParseURL(%s): dialect %s database %q memory %v DSN empty %v; want %s %q %v",
				dialects.Redact(g.raw), u.Dialect.Name(), u.Database, u.Memory, u.DSN == "", d.Name(), g.database, g.memory)
		}
		for what, s := range map[string]string{"String()": u.String(), "Redact": dialects.Redact(g.raw)} {
			if strings.Contains(s, secret) {
				t.Errorf("%s of a %s URL shows the password: %s", what, d.Name(), s)
			}
		}
		if !strings.Contains(g.raw, secret) && u.String() != g.raw {
			t.Errorf("String() of %q, which holds no password, is %q", g.raw, u.String())
		}
		// Another database on the same server, or a refusal for a
		// dialect whose databases are files.
		if other, err := u.WithDatabase("other_db"); err == nil {
			if other.Dialect.Name() != d.Name() || other.Database != "other_db" || strings.Contains(other.String(), secret) {
				t.Errorf("WithDatabase on %s: dialect %s database %q, %s", u, other.Dialect.Name(), other.Database, other)
			}
		} else if !errors.Is(err, dialects.ErrBadURL) || strings.Contains(err.Error(), secret) {
			t.Errorf("WithDatabase on %s: %v; want ErrBadURL without the password", u, err)
		}
	}
	for _, raw := range fam.bad {
		u, err := dialects.ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL(%s) accepted a malformed URL: database %q", dialects.Redact(raw), u.Database)
			continue
		}
		if !errors.Is(err, dialects.ErrBadURL) {
			t.Errorf("ParseURL(%s) = %v; want ErrBadURL", dialects.Redact(raw), err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error for a malformed %s URL shows the password: %v", d.Name(), err)
		}
		if strings.Contains(dialects.Redact(raw), secret) {
			t.Errorf("Redact of a malformed %s URL shows the password: %s", d.Name(), dialects.Redact(raw))
		}
	}
}
