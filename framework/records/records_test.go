package records_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/records"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// schema is the test's two tables in each dialect: authors, and books
// referring to them, with a unique title, a check and most kinds of column.
var schema = map[dialects.Name][]string{
	dialects.SQLite: {
		`CREATE TABLE authors (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(50) NOT NULL)`,
		`CREATE TABLE books (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER NOT NULL REFERENCES authors(id),
			title VARCHAR(80) NOT NULL UNIQUE, price DECIMAL(8,2) NOT NULL CHECK (price >= 0), pages INTEGER,
			published DATE, in_print BOOLEAN NOT NULL DEFAULT 1, secret TEXT)`,
	},
	dialects.Postgres: {
		`CREATE TABLE authors (id BIGSERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL)`,
		`CREATE TABLE books (id BIGSERIAL PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES authors(id),
			title VARCHAR(80) NOT NULL UNIQUE, price NUMERIC(8,2) NOT NULL CHECK (price >= 0), pages INTEGER,
			published DATE, in_print BOOLEAN NOT NULL DEFAULT TRUE, secret TEXT)`,
	},
	dialects.MySQL: {
		`CREATE TABLE authors (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)`,
		`CREATE TABLE books (id BIGINT AUTO_INCREMENT PRIMARY KEY, author_id BIGINT NOT NULL,
			title VARCHAR(80) NOT NULL UNIQUE, price DECIMAL(8,2) NOT NULL CHECK (price >= 0), pages INT,
			published DATE, in_print BOOLEAN NOT NULL DEFAULT TRUE, secret TEXT,
			FOREIGN KEY (author_id) REFERENCES authors(id))`,
	},
}

// fixture is the engine's books table over a database of one dialect,
// holding authors Ann and Bob and books of theirs.
type fixture struct {
	ctx   context.Context
	db    queries.DBTX
	d     dialects.Dialect
	books *records.Table
}

func setup(t *testing.T, db *dbtest.DB) *fixture {
	ctx := context.Background()
	for _, stmt := range schema[db.Name] {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	s, err := introspect.Load(ctx, db.Database())
	if err != nil {
		t.Fatal(err)
	}
	bt, _ := s.Table("books")
	books, err := records.New(bt, records.Options{Exclude: []string{"secret"}, Search: []string{"title"}, Ordering: []string{"title"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, db: db.SQL, d: db.Dialect(), books: books}
	for _, name := range []string{"Ann", "Bob"} {
		q := records.NewSQL(f.d)
		q.W("INSERT INTO authors (name) VALUES (", q.Arg(name), ")")
		if _, err := q.Exec(ctx, f.db); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range [][]string{
		{"1", "Go in Action", "30.50", "300", "2016-11-01", "true"},
		{"1", "The Go Way", "12.00", "", "2020-01-15", "true"},
		{"2", "SQL 100%_done", "45.99", "512", "", "false"},
		{"2", "Databases", "0.00", "90", "2001-06-30", "true"},
		{"1", "Go Fast", "19.95", "150", "2023-03-03", "false"},
	} {
		f.insert(t, b)
	}
	return f
}

// insert adds a book from the texts of author_id, title, price, pages,
// published and in_print ("" is NULL).
func (f *fixture) insert(t *testing.T, texts []string) ([]any, error) {
	t.Helper()
	var cols []*introspect.Column
	var vals []any
	for i, name := range []string{"author_id", "title", "price", "pages", "published", "in_print"} {
		if texts[i] == "" {
			continue
		}
		c, _ := f.books.Column(name)
		v, err := records.Parse(c, texts[i])
		if err != nil {
			t.Fatalf("%s %q: %v", name, texts[i], err)
		}
		cols, vals = append(cols, c), append(vals, v)
	}
	return f.books.Insert(f.ctx, f.db, f.d, cols, vals)
}

// titles lists the titles of the books l selects, in order.
func (f *fixture) titles(t *testing.T, l *records.List) ([]string, *records.Page) {
	t.Helper()
	title, _ := f.books.Column("title")
	l.Cols = []*introspect.Column{title}
	if l.Limit == 0 {
		l.Limit = 50
	}
	p, err := f.books.Fetch(f.ctx, f.db, f.d, l)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range p.Rows {
		out = append(out, r[0].Text)
	}
	return out, p
}

func TestList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := setup(t, db)
		cases := []struct {
			name    string
			filters [][3]string // column, lookup, value
			search  string
			order   string
			want    []string
		}{
			{name: "default order", want: []string{"Databases", "Go Fast", "Go in Action", "SQL 100%_done", "The Go Way"}},
			{name: "exact fk", filters: [][3]string{{"author_id", "", "2"}}, want: []string{"Databases", "SQL 100%_done"}},
			{name: "in", filters: [][3]string{{"pages", "in", "90,300"}}, want: []string{"Databases", "Go in Action"}},
			{name: "decimal gte lt", filters: [][3]string{{"price", "gte", "12"}, {"price", "lt", "30.50"}}, want: []string{"Go Fast", "The Go Way"}},
			{name: "gt lte", filters: [][3]string{{"pages", "gt", "90"}, {"pages", "lte", "300"}}, want: []string{"Go Fast", "Go in Action"}},
			{name: "isnull", filters: [][3]string{{"pages", "isnull", "true"}}, want: []string{"The Go Way"}},
			{name: "not null", filters: [][3]string{{"published", "isnull", "false"}, {"in_print", "", "true"}}, want: []string{"Databases", "Go in Action", "The Go Way"}},
			{name: "date", filters: [][3]string{{"published", "gte", "2016-11-01"}}, want: []string{"Go Fast", "Go in Action", "The Go Way"}},
			{name: "icontains", filters: [][3]string{{"title", "icontains", "GO"}}, want: []string{"Go Fast", "Go in Action", "The Go Way"}},
			{name: "istartswith", filters: [][3]string{{"title", "istartswith", "go"}}, want: []string{"Go Fast", "Go in Action"}},
			{name: "iendswith", filters: [][3]string{{"title", "iendswith", "WAY"}}, want: []string{"The Go Way"}},
			{name: "iexact", filters: [][3]string{{"title", "iexact", "DATABASES"}}, want: []string{"Databases"}},
			{name: "like metacharacters are literal", filters: [][3]string{{"title", "icontains", "%_"}}, want: []string{"SQL 100%_done"}},
			{name: "underscore alone", filters: [][3]string{{"title", "icontains", "_"}}, want: []string{"SQL 100%_done"}},
			{name: "search all terms", search: "go action", want: []string{"Go in Action"}},
			{name: "search percent", search: "100%", want: []string{"SQL 100%_done"}},
			{name: "order desc", order: "-price", want: []string{"SQL 100%_done", "Go in Action", "Go Fast", "The Go Way", "Databases"}},
			{name: "order two", order: "-in_print,pages", want: []string{"The Go Way", "Databases", "Go in Action", "Go Fast", "SQL 100%_done"}},
		}
		for _, c := range cases {
			l := &records.List{}
			for _, fl := range c.filters {
				flt, err := f.books.ParseFilter(fl[0], fl[1], fl[2])
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				l.Filters = append(l.Filters, flt)
			}
			if c.search != "" {
				l.Terms, _ = records.SearchTerms("search", c.search)
			}
			var order []records.Order
			if c.order != "" {
				var err error
				if order, err = f.books.ParseOrder("ordering", c.order); err != nil {
					t.Fatal(err)
				}
			}
			l.Order = f.books.FullOrder(order)
			got, _ := f.titles(t, l)
			n, err := f.books.Count(f.ctx, f.db, f.d, l, 100)
			if err != nil || n != int64(len(got)) {
				t.Errorf("%s: count %d (%v), want %d", c.name, n, err, len(got))
			}
			if c.name == "order two" {
				// NULL pages sort first or last by dialect: compare the
				// rows with pages.
				got = slices.DeleteFunc(got, func(s string) bool { return s == "The Go Way" })
				c.want = c.want[1:]
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			}
		}
	})
}

func TestParseErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := setup(t, db)
		for _, c := range []struct{ col, op, val, want string }{
			{"nope", "", "1", "no such column"},
			{"secret", "", "x", "no such column"},
			{"pages", "", "many", "enter a whole number"},
			{"pages", "in", "1,x", `"x": enter a whole number`},
			{"pages", "in", strings.Repeat("1,", 100) + "1", "at most 100 values"},
			{"pages", "isnull", "maybe", "isnull takes true or false"},
			{"pages", "icontains", "1", "text columns only"},
			{"title", "regex", "x", "unknown lookup"},
			{"price", "gte", "1e3", "decimal number"},
			{"published", "lt", "2020-13-01", "YYYY-MM-DD"},
			{"title", "", "a\x00b", "NUL"},
		} {
			_, err := f.books.ParseFilter(c.col, c.op, c.val)
			var e *records.Error
			if !errors.As(err, &e) || !strings.Contains(e.Msg, c.want) {
				t.Errorf("%s__%s=%q: %v, want %q", c.col, c.op, c.val, err, c.want)
			}
		}
		for _, o := range []string{"nope", "secret", "title,title", "a,b,c,d,e,f"} {
			if _, err := f.books.ParseOrder("ordering", o); err == nil {
				t.Errorf("ordering %q accepted", o)
			}
		}
	})
}

// TestPages walks the books two at a time by keyset cursor, forward and
// back, and by offset, and checks that each sees every book once.
func TestPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := setup(t, db)
		order, _ := f.books.ParseOrder("ordering", "-in_print,author_id")
		full := f.books.FullOrder(order)
		if !f.books.KeysetOK(f.d, full) {
			t.Fatal("in_print, author_id, id cannot carry a cursor")
		}
		all, _ := f.titles(t, &records.List{Order: full})
		var walked []string
		var cursor []any
		for range 10 {
			got, p := f.titles(t, &records.List{Order: full, Limit: 2, After: cursor})
			walked = append(walked, got...)
			if !p.HasNext {
				break
			}
			texts := records.CursorTexts(p, p.Rows[len(p.Rows)-1], full)
			var err error
			if cursor, err = records.DecodeCursor(full, records.EncodeCursor(texts)); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(walked, all) {
			t.Fatalf("forward by cursor: %q, want %q", walked, all)
		}
		last, p := f.titles(t, &records.List{Order: full, Limit: 2, Last: true})
		if !slices.Equal(last, all[3:]) || !p.HasPrev || p.HasNext {
			t.Fatalf("last page %q (prev %v next %v), want %q", last, p.HasPrev, p.HasNext, all[3:])
		}
		before, _ := records.DecodeCursor(full, records.EncodeCursor(records.CursorTexts(p, p.Rows[0], full)))
		prev, _ := f.titles(t, &records.List{Order: full, Limit: 2, Before: before})
		if !slices.Equal(prev, all[1:3]) {
			t.Fatalf("page before the last: %q, want %q", prev, all[1:3])
		}
		second, p := f.titles(t, &records.List{Order: full, Limit: 2, Offset: 2})
		if !slices.Equal(second, all[2:4]) || !p.HasPrev || !p.HasNext {
			t.Fatalf("offset page: %q, want %q", second, all[2:4])
		}
		if _, err := records.DecodeCursor(full, records.EncodeCursor([]string{"true"})); err == nil {
			t.Fatal("a cursor of one value decoded for an order of three")
		}
	})
}

func TestWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := setup(t, db)
		key, err := f.insert(t, []string{"2", "New Book", "9.99", "", "", "true"})
		if err != nil {
			t.Fatal(err)
		}
		row, err := f.books.Get(f.ctx, f.db, f.d, key, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if row["title"].Text != "New Book" || row["price"].Text != "9.99" || !row["pages"].Null || row["in_print"].Text != "true" {
			t.Fatalf("read back %v", row)
		}
		if _, ok := row["secret"]; !ok {
			t.Fatal("Get leaves out an excluded (not secret) column: the version would miss its changes")
		}
		if got := f.books.RowKey(row); got != f.books.KeyText(key) {
			t.Fatalf("row key %q, key text %q", got, f.books.KeyText(key))
		}
		v1 := f.books.Version(row)
		pages, _ := f.books.Column("pages")
		n, err := f.books.Update(f.ctx, f.db, f.d, key, []*introspect.Column{pages}, []any{int64(42)})
		if err != nil || n != 1 {
			t.Fatalf("update: %d, %v", n, err)
		}
		row, _ = f.books.Get(f.ctx, f.db, f.d, key, false, nil)
		if row["pages"].Text != "42" || f.books.Version(row) == v1 {
			t.Fatalf("after update: pages %q, version unchanged: %v", row["pages"].Text, f.books.Version(row) == v1)
		}

		// Refusals: unique title, missing author, negative price.
		for _, c := range []struct {
			texts []string
			cause error
			field string
		}{
			{[]string{"1", "Databases", "1", "", "", "true"}, queries.ErrUniqueViolation, "title"},
			{[]string{"99", "Orphan", "1", "", "", "true"}, queries.ErrForeignKeyViolation, "author_id"},
			{[]string{"1", "Cheap", "-1", "", "", "true"}, queries.ErrCheckViolation, ""},
		} {
			_, err := f.insert(t, c.texts)
			if err == nil {
				t.Fatalf("%q inserted", c.texts)
			}
			values := map[string]any{"title": c.texts[1]}
			author, _ := records.Parse(mustCol(f.books, "author_id"), c.texts[0])
			values["author_id"] = author
			r := f.books.Explain(f.ctx, f.db, f.d, err, "books", values, nil)
			if r == nil || !errors.Is(r, c.cause) {
				t.Fatalf("%q: %v explained as %v, want %v", c.texts, err, r, c.cause)
			}
			if c.field != "" && r.Fields[c.field] == "" {
				t.Errorf("%q: no message for %s in %v", c.texts, c.field, r.Fields)
			}
			if strings.Contains(r.Msg, "SQL") || strings.Contains(r.Msg, "constraint failed") {
				t.Errorf("message carries database text: %q", r.Msg)
			}
		}
		if r := f.books.Explain(f.ctx, f.db, f.d, errors.New("connection reset"), "books", nil, nil); r != nil {
			t.Fatalf("an unexplained error became %v", r)
		}

		many, err := f.books.GetMany(f.ctx, f.db, f.d, [][]any{key, {int64(1)}, {int64(12345)}}, nil)
		if err != nil || len(many) != 2 {
			t.Fatalf("GetMany: %d rows, %v", len(many), err)
		}
		n, err = f.books.Delete(f.ctx, f.db, f.d, [][]any{key, {int64(12345)}})
		if err != nil || n != 1 {
			t.Fatalf("delete: %d, %v", n, err)
		}
		if _, err := f.books.Get(f.ctx, f.db, f.d, key, false, nil); !errors.Is(err, queries.ErrNotFound) {
			t.Fatalf("deleted row: %v", err)
		}
	})
}

func mustCol(t *records.Table, name string) *introspect.Column {
	c, ok := t.Column(name)
	if !ok {
		panic(fmt.Sprint("no column ", name))
	}
	return c
}

// cascadeDDL adds chapters (cascading from books), notes (cascading from
// chapters) and reviews (set to NULL), per dialect.
var cascadeDDL = map[dialects.Name][]string{
	dialects.SQLite: {
		`CREATE TABLE chapters (id INTEGER PRIMARY KEY AUTOINCREMENT, book_id INTEGER NOT NULL REFERENCES books(id) ON DELETE CASCADE)`,
		`CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, chapter_id INTEGER NOT NULL REFERENCES chapters(id) ON DELETE CASCADE)`,
		`CREATE TABLE reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, book_id INTEGER REFERENCES books(id) ON DELETE SET NULL)`,
	},
	dialects.Postgres: {
		`CREATE TABLE chapters (id BIGSERIAL PRIMARY KEY, book_id BIGINT NOT NULL REFERENCES books(id) ON DELETE CASCADE)`,
		`CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, chapter_id BIGINT NOT NULL REFERENCES chapters(id) ON DELETE CASCADE)`,
		`CREATE TABLE reviews (id BIGSERIAL PRIMARY KEY, book_id BIGINT REFERENCES books(id) ON DELETE SET NULL)`,
	},
	dialects.MySQL: {
		`CREATE TABLE chapters (id BIGINT AUTO_INCREMENT PRIMARY KEY, book_id BIGINT NOT NULL, FOREIGN KEY (book_id) REFERENCES books(id) ON DELETE CASCADE)`,
		`CREATE TABLE notes (id BIGINT AUTO_INCREMENT PRIMARY KEY, chapter_id BIGINT NOT NULL, FOREIGN KEY (chapter_id) REFERENCES chapters(id) ON DELETE CASCADE)`,
		`CREATE TABLE reviews (id BIGINT AUTO_INCREMENT PRIMARY KEY, book_id BIGINT, FOREIGN KEY (book_id) REFERENCES books(id) ON DELETE SET NULL)`,
	},
}

// TestCascade previews deletes: what cascades (two levels), what is set
// to NULL, what restricts, with counts; follow stops a cascade. On every
// dialect.
func TestCascade(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := setup(t, db)
		for _, stmt := range append(cascadeDDL[db.Name],
			`INSERT INTO chapters (book_id) VALUES (1)`, `INSERT INTO chapters (book_id) VALUES (1)`, `INSERT INTO chapters (book_id) VALUES (2)`,
			`INSERT INTO notes (chapter_id) VALUES (1)`, `INSERT INTO notes (chapter_id) VALUES (3)`,
			`INSERT INTO reviews (book_id) VALUES (1)`) {
			if _, err := f.db.ExecContext(f.ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		s, err := introspect.Load(f.ctx, db.Database())
		if err != nil {
			t.Fatal(err)
		}
		book1 := func(q *records.SQL) { q.W(q.Ident("id"), " = ", q.Arg(int64(1))) }
		describe := func(effects []records.Effect) string {
			var parts []string
			for _, e := range effects {
				parts = append(parts, fmt.Sprintf("%s %s %d@%d", e.Table, e.Action, e.Count, e.Depth))
			}
			slices.Sort(parts)
			return strings.Join(parts, ", ")
		}
		effects, err := records.Cascade(f.ctx, f.db, f.d, s, "books", book1, nil)
		if got, want := describe(effects), "chapters delete 2@1, notes delete 1@2, reviews set null 1@1"; err != nil || got != want {
			t.Errorf("deleting book 1: %s (%v), want %s", got, err, want)
		}
		effects, _ = records.Cascade(f.ctx, f.db, f.d, s, "books", book1, func(e records.Effect) bool { return e.Table != "chapters" })
		if got, want := describe(effects), "chapters delete 2@1, reviews set null 1@1"; got != want {
			t.Errorf("not following chapters: %s, want %s", got, want)
		}
		author1 := func(q *records.SQL) { q.W(q.Ident("id"), " = ", q.Arg(int64(1))) }
		effects, _ = records.Cascade(f.ctx, f.db, f.d, s, "authors", author1, nil)
		if got, want := describe(effects), "books restrict 3@1"; got != want {
			t.Errorf("deleting author 1: %s, want %s", got, want)
		}
	})
}

// TestSecrets: a secret column is never exposed, whatever the options.
func TestSecrets(t *testing.T) {
	users := &introspect.Table{Name: "quarry_users", PrimaryKey: []string{"id"}, Columns: []*introspect.Column{
		{Name: "id", Kind: introspect.KindInt}, {Name: "username", Kind: introspect.KindText}, {Name: "password_hash", Kind: introspect.KindText}}}
	tb, err := records.New(users, records.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tb.Column("password_hash"); ok || slices.ContainsFunc(tb.Search, func(c *introspect.Column) bool { return c.Name == "password_hash" }) {
		t.Fatal("password_hash is exposed")
	}
	if _, err := records.New(users, records.Options{Search: []string{"password_hash"}}); err == nil {
		t.Fatal("searching password_hash accepted")
	}
}
