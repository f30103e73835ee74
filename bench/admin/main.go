// Command admin benchmarks the auto-admin's pages on a large table.
//
//	go run ./bench/admin [-rows N] [-runs K] [-dialects sqlite,postgres,mysql]
//
// For each dialect it creates a fresh database (SQLite: a file in a temp
// directory; PostgreSQL and MySQL/MariaDB: a new database on the server
// named by QUARRY_TEST_POSTGRES_URL or QUARRY_TEST_MYSQL_URL, dropped at
// the end), applies the framework's
// migrations, creates bench_categories (20 rows) and bench_items (N rows,
// a foreign key to bench_categories), mounts the admin on a framework App
// behind an httptest server, logs in as a superuser and times K requests
// (after two warm-ups) of each page: the list's first page, a deep keyset
// page, a deep offset page, a search, a filter and a row's edit form. Each
// is printed beside its baseline, the page's main SELECT run directly with
// database/sql. Any error, or a page that does not show what it should,
// fails the command; a missed target is reported, not fatal.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/bench/benchdb"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/session"
)

const (
	envPostgres     = "QUARRY_TEST_POSTGRES_URL"
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	envMySQL        = "QUARRY_TEST_MYSQL_URL"
	defaultMySQL    = "mysql://root@127.0.0.1:3306/test"
	warmups         = 2
	perPage         = 50
	categories      = 20
	// listCols are the columns the admin's list selects by default: the
	// primary key and the next five columns worth showing.
	listCols = "id, category_id, name, sku, price, active"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in bench_items")
	runs := flag.Int("runs", 15, "timed runs of each page (after 2 warm-ups)")
	dialectList := flag.String("dialects", "sqlite,postgres", "comma-separated dialects to run: sqlite, postgres, mysql")
	flag.Parse()
	if *rows < 1000 {
		fmt.Fprintln(os.Stderr, "bench/admin: -rows must be at least 1000")
		os.Exit(2)
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "bench/admin: -runs must be at least 1")
		os.Exit(2)
	}
	var names []dialects.Name
	for _, s := range strings.Split(*dialectList, ",") {
		switch n := dialects.Name(strings.TrimSpace(s)); n {
		case dialects.SQLite, dialects.Postgres, dialects.MySQL:
			names = append(names, n)
		default:
			fmt.Fprintf(os.Stderr, "bench/admin: unknown dialect %q (want sqlite, postgres or mysql)\n", s)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, names, *rows, *runs)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/admin:", err)
		os.Exit(1)
	}
}

// stats are the timings of one page's runs.
type stats struct{ median, p90 time.Duration }

func summarize(d []time.Duration) stats {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	// Nearest-rank 90th percentile.
	return stats{median: med, p90: s[int(math.Ceil(0.9*float64(n)))-1]}
}

// result is one page's line in the report.
type result struct {
	dialect  dialects.Name
	page     string
	admin    stats
	baseline stats
	target   time.Duration // 0: none
}

// dialectReport is everything one dialect's run printed.
type dialectReport struct {
	name    dialects.Name
	fill    time.Duration
	results []result
}

func run(ctx context.Context, names []dialects.Name, rows, runs int) error {
	fmt.Printf("bench-admin: %s rows in bench_items, %d timed runs per page after %d warm-ups\n", thousands(int64(rows)), runs, warmups)
	fmt.Println("times are medians (and p90) of the whole HTTP request; the baseline is the page's main SELECT via database/sql")
	var reports []dialectReport
	var failed error
	for _, name := range names {
		fmt.Printf("\n== %s ==\n", name)
		rep, err := benchDialect(ctx, name, rows, runs)
		if err != nil {
			failed = errors.Join(failed, fmt.Errorf("%s: %w", name, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		reports = append(reports, rep)
	}
	if len(reports) > 0 {
		printReport(reports)
	}
	return failed
}

func printReport(reports []dialectReport) {
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "dialect\tpage\tquarry median\tadmin p90\tbaseline median\tbaseline p90\ttarget\t")
	for _, rep := range reports {
		for _, r := range rep.results {
			target := "—"
			if r.target > 0 {
				target = "< " + strconv.FormatInt(r.target.Milliseconds(), 10) + " ms"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.dialect, r.page, ms(r.admin.median), ms(r.admin.p90), ms(r.baseline.median), ms(r.baseline.p90), target)
		}
	}
	tw.Flush()
	fmt.Println()
	for _, rep := range reports {
		fmt.Printf("fill %s: %s (create the tables, insert the rows, build the indexes, ANALYZE; VACUUM on PostgreSQL)\n", rep.name, rep.fill.Round(10*time.Millisecond))
	}
	for _, rep := range reports {
		for _, r := range rep.results {
			if r.target == 0 {
				continue
			}
			verdict := "met"
			if r.admin.median >= r.target {
				verdict = "MISSED"
			}
			fmt.Printf("target %s %s: median %s, target < %d ms: %s\n", r.dialect, r.page, ms(r.admin.median), r.target.Milliseconds(), verdict)
		}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// benchDialect creates, fills and benchmarks one dialect's database, and
// removes it whatever happens.
func benchDialect(ctx context.Context, name dialects.Name, rows, runs int) (rep dialectReport, err error) {
	rep.name = name
	raw, cleanup, err := createDatabase(ctx, name)
	if err != nil {
		return rep, err
	}
	defer func() {
		if cerr := cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	u, err := dialects.ParseURL(raw)
	if err != nil {
		return rep, err
	}
	if rep.fill, err = prepare(ctx, u, rows); err != nil {
		return rep, err
	}
	fmt.Printf("filled %s rows in %s\n", thousands(int64(rows)), rep.fill.Round(10*time.Millisecond))
	rep.results, err = benchPages(ctx, u, rows, runs)
	return rep, err
}

// createDatabase makes an empty database and returns its URL and the
// function that removes it.
func createDatabase(ctx context.Context, name dialects.Name) (string, func() error, error) {
	if name == dialects.SQLite {
		dir, err := os.MkdirTemp("", "quarry-bench-admin-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() error { return os.RemoveAll(dir) }, nil
	}
	env, base := envPostgres, defaultPostgres
	if name == dialects.MySQL {
		env, base = envMySQL, defaultMySQL
	}
	if v := os.Getenv(env); v != "" {
		base = v
	}
	bu, err := dialects.ParseURL(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	raw, drop, err := benchdb.Create(ctx, bu, "quarry_bench_admin_")
	if err != nil {
		return "", nil, err
	}
	if u, err := dialects.ParseURL(raw); err == nil {
		fmt.Printf("database %s\n", u.Database)
	}
	return raw, drop, nil
}

// prepare migrates the database, creates the bench tables and fills them,
// returning the time the tables took to create and fill.
func prepare(ctx context.Context, u *dialects.URL, rows int) (time.Duration, error) {
	d, err := framework.OpenDatabase(ctx, u.Raw)
	if err != nil {
		return 0, err
	}
	defer d.DB.Close()
	db := d.DB
	m, err := migrate.New(d, migrate.Options{})
	if err != nil {
		return 0, err
	}
	if _, err := m.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	start := time.Now()
	var stmts []string
	n := strconv.Itoa(rows)
	switch u.Dialect.Name() {
	case dialects.MySQL:
		// Rows from a cross join of digits (MariaDB has no
		// generate_series); the unique and foreign-key constraints and
		// the index after the load, as on PostgreSQL. No search index:
		// MySQL and MariaDB search by scanning (see docs/api.md).
		digits := "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
		var terms, from []string
		for k, pow := 0, 1; pow < rows; k, pow = k+1, pow*10 {
			terms = append(terms, fmt.Sprintf("%d*d%d.d", pow, k))
			from = append(from, fmt.Sprintf("%s d%d", digits, k))
		}
		seq := "SELECT " + strings.Join(terms, " + ") + " + 1 AS i FROM " + strings.Join(from, ", ")
		stmts = []string{
			`CREATE TABLE bench_categories (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE)`,
			`CREATE TABLE bench_items (
				id BIGINT AUTO_INCREMENT PRIMARY KEY,
				category_id BIGINT NOT NULL,
				name VARCHAR(200) NOT NULL,
				sku VARCHAR(40) NOT NULL,
				price DECIMAL(10,2) NOT NULL,
				active BOOLEAN NOT NULL,
				created_at DATETIME(6) NOT NULL)`,
			`INSERT INTO bench_categories (id, name) SELECT i, CONCAT('Category ', i) FROM (` + seq + `) s WHERE i <= ` + strconv.Itoa(categories),
			`INSERT INTO bench_items (id, category_id, name, sku, price, active, created_at)
			SELECT i, i % ` + strconv.Itoa(categories) + ` + 1,
				CONCAT('Item-', i, ' ', ELT(i % 5 + 1, 'red', 'green', 'blue', 'black', 'white')),
				CONCAT('SKU-', LPAD(i, 8, '0')),
				((i * 37) % 100000) / 100.0,
				i % 7 <> 0,
				TIMESTAMP '2020-01-01 00:00:00' + INTERVAL i MINUTE
			FROM (` + seq + `) s WHERE i <= ` + n,
			`ALTER TABLE bench_items ADD CONSTRAINT bench_items_sku_key UNIQUE (sku),
				ADD CONSTRAINT bench_items_category_fk FOREIGN KEY (category_id) REFERENCES bench_categories (id),
				ADD INDEX bench_items_category_idx (category_id)`,
			`ANALYZE TABLE bench_categories, bench_items`,
		}
	case dialects.Postgres:
		// The unique and foreign-key constraints and the index are added
		// after the load: one index build and one validation pass instead
		// of a million index insertions and trigger calls.
		stmts = []string{
			`CREATE TABLE bench_categories (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE)`,
			`CREATE TABLE bench_items (
				id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
				category_id BIGINT NOT NULL,
				name VARCHAR(200) NOT NULL,
				sku VARCHAR(40) NOT NULL,
				price NUMERIC(10,2) NOT NULL,
				active BOOLEAN NOT NULL,
				created_at TIMESTAMPTZ NOT NULL)`,
			`INSERT INTO bench_categories (id, name) SELECT i, 'Category ' || i FROM generate_series(1, ` + strconv.Itoa(categories) + `) i`,
			`INSERT INTO bench_items (id, category_id, name, sku, price, active, created_at)
			SELECT i, i % ` + strconv.Itoa(categories) + ` + 1,
				'Item-' || i || ' ' || (ARRAY['red', 'green', 'blue', 'black', 'white'])[i % 5 + 1],
				'SKU-' || lpad(i::text, 8, '0'),
				((i * 37) % 100000) / 100.0,
				i % 7 <> 0,
				TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * INTERVAL '1 minute'
			FROM generate_series(1, ` + n + `) i`,
			`SELECT setval(pg_get_serial_sequence('bench_categories', 'id'), ` + strconv.Itoa(categories) + `)`,
			`SELECT setval(pg_get_serial_sequence('bench_items', 'id'), ` + n + `)`,
			`ALTER TABLE bench_items ADD CONSTRAINT bench_items_sku_key UNIQUE (sku),
				ADD CONSTRAINT bench_items_category_fk FOREIGN KEY (category_id) REFERENCES bench_categories (id)`,
			`CREATE INDEX bench_items_category_idx ON bench_items (category_id)`,
		}
		// The search indexes makemigrations writes for
		// "-- quarry:search name, sku" (pg_trgm, GIN on LOWER(col)).
		stmts = append(stmts, u.Dialect.SearchIndexes("bench_items", []string{"name", "sku"})...)
		stmts = append(stmts,
			// What autovacuum does after a bulk load: the statistics, and
			// the visibility map that lets the deep pages' key scans skip
			// the rows.
			`VACUUM (ANALYZE) bench_categories`,
			`VACUUM (ANALYZE) bench_items`,
		)
	default:
		stmts = []string{
			`CREATE TABLE bench_categories (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(100) NOT NULL UNIQUE)`,
			`CREATE TABLE bench_items (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				category_id INTEGER NOT NULL REFERENCES bench_categories (id),
				name VARCHAR(200) NOT NULL,
				sku VARCHAR(40) NOT NULL UNIQUE,
				price NUMERIC(10,2) NOT NULL,
				active BOOLEAN NOT NULL,
				created_at DATETIME NOT NULL)`,
			`CREATE INDEX bench_items_category_idx ON bench_items (category_id)`,
			`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ` + strconv.Itoa(categories) + `)
			INSERT INTO bench_categories (id, name) SELECT i, 'Category ' || i FROM s`,
			`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ` + n + `)
			INSERT INTO bench_items (id, category_id, name, sku, price, active, created_at)
			SELECT i, i % ` + strconv.Itoa(categories) + ` + 1,
				'Item-' || i || ' ' || CASE i % 5 WHEN 0 THEN 'red' WHEN 1 THEN 'green' WHEN 2 THEN 'blue' WHEN 3 THEN 'black' ELSE 'white' END,
				'SKU-' || printf('%08d', i),
				((i * 37) % 100000) / 100.0,
				i % 7 <> 0,
				datetime('2020-01-01 00:00:00', '+' || i || ' minutes')
			FROM s`,
		}
		// The search index makemigrations writes for "-- quarry:search
		// name, sku" (an FTS5 trigram table and its triggers), filled as
		// the migration fills it.
		stmts = append(stmts, u.Dialect.SearchIndexes("bench_items", []string{"name", "sku"})...)
		stmts = append(stmts, `INSERT INTO "bench_items_search" ("bench_items_search") VALUES ('rebuild')`, `ANALYZE`)
	}
	if u.Dialect.Name() == dialects.SQLite {
		// One transaction for the whole load.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		for _, s := range stmts[:len(stmts)-1] {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				_ = tx.Rollback()
				return 0, fmt.Errorf("%w\n%s", err, s)
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		stmts = stmts[len(stmts)-1:]
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return 0, fmt.Errorf("%w\n%s", err, s)
		}
	}
	return time.Since(start), nil
}

// page is one admin page to time, with its baseline query.
type page struct {
	name   string
	path   string
	target time.Duration
	// sql and args are the baseline: the page's main SELECT.
	sql  string
	args []any
	// check verifies a response body against the baseline's first column.
	check func(body string, ids []string) error
}

func benchPages(ctx context.Context, u *dialects.URL, rows, runs int) ([]result, error) {
	quiet := slog.New(slog.DiscardHandler)
	app, err := framework.New(ctx, framework.Config{DatabaseURL: u.Raw, Env: framework.EnvTest}, framework.WithLogger(quiet))
	if err != nil {
		return nil, err
	}
	defer app.Close()
	d := app.Database()
	sm := authhttp.NewSessions(app.Config(), session.NewStore(d))
	a, err := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys(), Logger: quiet})
	if err != nil {
		return nil, err
	}
	app.Use(a.Middleware)
	r := app.Router()
	a.Mount(r)
	// The admin's own errors go to stderr: a 500 names its cause.
	adm, err := admin.New(ctx, app, admin.Options{Auth: a, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Tables: map[string]admin.Table{
			"bench_items": {SearchFields: []string{"name", "sku"}, ListFilter: []string{"active", "category_id"}},
		}})
	if err != nil {
		return nil, err
	}
	r.Handle("/admin/", adm)
	schema, err := introspect.Load(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := api.Mount(r, nil, api.Options{Require: a.RequirePerm, Can: a.Can, Schema: schema, Keys: app.Keys(), Logger: quiet,
		Resources: []api.Resource{{Table: "bench_items", Search: []string{"name", "sku"}}}}); err != nil {
		return nil, err
	}
	password := rand.Text()
	if _, err := auth.New(d).CreateUser(ctx, auth.CreateUserParams{Username: "superuser", Email: "root@example.com", Password: password, Superuser: true}); err != nil {
		return nil, fmt.Errorf("create superuser: %w", err)
	}
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	b := newBrowser(ctx, srv.URL)
	if err := b.login("superuser", password); err != nil {
		return nil, err
	}

	pg := u.Dialect.Name() == dialects.Postgres
	ph := func(i int) string { return u.Dialect.Placeholder(i) }
	fold := u.Dialect.FoldCase
	listTarget := time.Duration(0)
	if pg {
		listTarget = 50 * time.Millisecond
	}

	// A keyset position 90% of the way through the default order (newest
	// first): the cursor holds the order's values as text.
	deepID := int64(rows) - int64(rows)*9/10
	jump := "/admin/bench_items/?after=" + cursor(strconv.FormatInt(deepID, 10))
	body, err := b.get(jump)
	if err != nil {
		return nil, fmt.Errorf("jump to the deep cursor: %w", err)
	}
	if n := len(selectedRe.FindAllString(body, -1)); n != perPage {
		return nil, fmt.Errorf("GET %s: %d rows, want %d", jump, n, perPage)
	}
	next := nextRe.FindStringSubmatch(body)
	if next == nil {
		return nil, fmt.Errorf("GET %s: no rel=\"next\" link", jump)
	}
	deepPath := html.UnescapeString(next[1])
	deepAfter := deepID - perPage // the last row of the jump page

	// The API's cursor at the same depth: the next link of the page of
	// the rows up to deepID.
	apiJump := "/api/bench_items/?fields=id,category_id,name,sku,price,active&id__lte=" + strconv.FormatInt(deepID, 10)
	body, err = b.get(apiJump)
	if err != nil {
		return nil, fmt.Errorf("jump to the API's deep cursor: %w", err)
	}
	var jumpPage struct{ Next string }
	if err := json.Unmarshal([]byte(body), &jumpPage); err != nil || jumpPage.Next == "" {
		return nil, fmt.Errorf("GET %s: no next link (%v)\n%.300s", apiJump, err, body)
	}
	apiPageOffset := min(100_000, rows/2) / perPage * perPage
	apiTarget := time.Duration(0)
	if pg {
		apiTarget = 5 * time.Millisecond
	}

	offsetPage := min(10_000, (rows*9/10)/perPage)
	search := int64(min(12345, rows/2))
	term := "item-" + strconv.FormatInt(search, 10)
	editID := int64(rows / 2)

	pages := []page{
		{name: "list, first page", path: "/admin/bench_items/", target: listTarget,
			sql: "SELECT " + listCols + " FROM bench_items ORDER BY id DESC LIMIT 51", check: listCheck("")},
		{name: "list, deep page (keyset)", path: deepPath, target: listTarget,
			sql: "SELECT " + listCols + " FROM bench_items WHERE id < " + ph(1) + " ORDER BY id DESC LIMIT 51", args: []any{deepAfter}, check: listCheck("")},
		{name: fmt.Sprintf("list, offset page %d", offsetPage), path: "/admin/bench_items/?p=" + strconv.Itoa(offsetPage),
			sql: "SELECT " + listCols + " FROM bench_items ORDER BY id DESC LIMIT 51 OFFSET " + strconv.Itoa((offsetPage-1)*perPage), check: listCheck("")},
		{name: "search q=" + term, path: "/admin/bench_items/?q=" + url.QueryEscape(term),
			sql: "SELECT " + listCols + " FROM bench_items WHERE (" + fold("name") + " LIKE " + ph(1) + " ESCAPE '!' OR " + fold("sku") + " LIKE " + ph(2) +
				" ESCAPE '!') ORDER BY id DESC LIMIT 51", args: []any{"%" + term + "%", "%" + term + "%"}},
		{name: "filter active=false, category_id=3", path: "/admin/bench_items/?f.active=false&f.category_id=3",
			sql: "SELECT " + listCols + " FROM bench_items WHERE active = " + ph(1) + " AND category_id = " + ph(2) + " ORDER BY id DESC LIMIT 51", args: []any{false, int64(3)}},
		{name: "edit page", path: fmt.Sprintf("/admin/bench_items/%d/change/", editID),
			sql: "SELECT id, category_id, name, sku, price, active, created_at FROM bench_items WHERE id = " + ph(1), args: []any{editID},
			check: editCheck},

		// The same lists from the REST API (framework/api over the rows
		// engine), as JSON.
		{name: "api list, first page", path: "/api/bench_items/?fields=id,category_id,name,sku,price,active", target: apiTarget,
			sql: "SELECT " + listCols + " FROM bench_items ORDER BY id DESC LIMIT 51", check: apiCheck},
		{name: "api list, deep page (cursor)", path: jumpPage.Next,
			sql:  "SELECT " + listCols + " FROM bench_items WHERE id <= " + ph(1) + " AND id < " + ph(2) + " ORDER BY id DESC LIMIT 51",
			args: []any{deepID, deepID - perPage + 1}, check: apiCheck},
		{name: fmt.Sprintf("api list, numbered page %d", apiPageOffset/perPage+1), path: fmt.Sprintf("/api/bench_items/?fields=id&page=%d", apiPageOffset/perPage+1),
			sql: "SELECT " + listCols + " FROM bench_items ORDER BY id DESC LIMIT 51 OFFSET " + strconv.Itoa(apiPageOffset), check: apiCheck},
		{name: "api search=" + term, path: "/api/bench_items/?fields=id,name,sku&search=" + url.QueryEscape(term),
			sql: "SELECT " + listCols + " FROM bench_items WHERE (" + fold("name") + " LIKE " + ph(1) + " ESCAPE '!' OR " + fold("sku") + " LIKE " + ph(2) +
				" ESCAPE '!') ORDER BY id DESC LIMIT 51", args: []any{"%" + term + "%", "%" + term + "%"}, check: apiCheck},
		{name: "api filter active=false, category_id=3", path: "/api/bench_items/?fields=id,active,category_id&active=false&category_id=3",
			sql: "SELECT " + listCols + " FROM bench_items WHERE active = " + ph(1) + " AND category_id = " + ph(2) + " ORDER BY id DESC LIMIT 51", args: []any{false, int64(3)}, check: apiCheck},
	}
	// The search's and the filter's row counts, as the list shows them.
	for _, i := range []int{3, 4} {
		w := pages[i].sql[strings.Index(pages[i].sql, " WHERE "):strings.Index(pages[i].sql, " ORDER BY ")]
		var n int64
		if err := d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM bench_items"+w, pages[i].args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("%s: count: %w", pages[i].name, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no rows match", pages[i].name)
		}
		want := thousands(n) + " rows"
		if n == 1 {
			want = "1 row"
		} else if n > 10_000 {
			want = "more than 10,000 rows"
		}
		pages[i].check = listCheck(want)
	}

	var out []result
	for _, p := range pages {
		ids, err := baseline(ctx, d.DB, p.sql, p.args)
		if err != nil {
			return nil, fmt.Errorf("%s: baseline: %w\n%s", p.name, err, p.sql)
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("%s: the baseline query returns no rows", p.name)
		}
		body, err := b.get(p.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		if err := p.check(body, ids); err != nil {
			return nil, fmt.Errorf("%s: GET %s: %w", p.name, p.path, err)
		}
		time1 := func(f func() error) ([]time.Duration, error) {
			var ds []time.Duration
			for i := range warmups + runs {
				start := time.Now()
				if err := f(); err != nil {
					return nil, err
				}
				if i >= warmups {
					ds = append(ds, time.Since(start))
				}
			}
			return ds, nil
		}
		adminTimes, err := time1(func() error {
			body, err := b.get(p.path)
			if err == nil {
				err = p.check(body, ids)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		baseTimes, err := time1(func() error {
			_, err := baseline(ctx, d.DB, p.sql, p.args)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: baseline: %w", p.name, err)
		}
		res := result{dialect: u.Dialect.Name(), page: p.name, admin: summarize(adminTimes), baseline: summarize(baseTimes), target: p.target}
		fmt.Printf("%-36s admin %10s (p90 %10s)   baseline %10s (p90 %10s)   %s\n", p.name, ms(res.admin.median), ms(res.admin.p90), ms(res.baseline.median), ms(res.baseline.p90), p.path)
		out = append(out, res)
	}
	return out, nil
}

// cursor is the admin's keyset token for a row whose order values are texts.
func cursor(texts ...string) string {
	j, _ := json.Marshal(texts)
	return base64.RawURLEncoding.EncodeToString(j)
}

// baseline runs query, reads every row and returns the first column's values.
func baseline(ctx context.Context, db *sql.DB, query string, args []any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var ids []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		ids = append(ids, fmt.Sprint(vals[0]))
	}
	return ids, rows.Err()
}

var (
	selectedRe = regexp.MustCompile(`name="_selected" value="([^"]*)"`)
	nextRe     = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	countRe    = regexp.MustCompile(`<span class="count">([^<]*)</span>`)
	csrfRe     = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

// listCheck checks that a list page shows the baseline's rows, in order,
// and a row count starting with count.
func listCheck(count string) func(string, []string) error {
	return func(body string, ids []string) error {
		var got []string
		for _, m := range selectedRe.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		want := ids[:min(len(ids), perPage)]
		if !slices.Equal(got, want) {
			return fmt.Errorf("rows %s; want %s", short(got), short(want))
		}
		c := countRe.FindStringSubmatch(body)
		if c == nil || !strings.HasPrefix(c[1], count) {
			return fmt.Errorf("row count %q; want %q", c, count)
		}
		return nil
	}
}

func short(ids []string) string {
	if len(ids) <= 4 {
		return fmt.Sprintf("%v (%d)", ids, len(ids))
	}
	return fmt.Sprintf("[%s … %s] (%d)", strings.Join(ids[:2], " "), ids[len(ids)-1], len(ids))
}

// apiCheck checks that an API list answers the baseline's rows, in order.
func apiCheck(body string, ids []string) error {
	var page struct{ Items []struct{ ID json.Number } }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		return fmt.Errorf("not a list: %w: %.200s", err, body)
	}
	var got []string
	for _, it := range page.Items {
		got = append(got, it.ID.String())
	}
	if want := ids[:min(len(ids), perPage)]; !slices.Equal(got, want) {
		return fmt.Errorf("items %s; want %s", short(got), short(want))
	}
	return nil
}

// editCheck checks that the edit form shows the row's SKU and a save button.
func editCheck(body string, ids []string) error {
	id, _ := strconv.ParseInt(ids[0], 10, 64)
	sku := fmt.Sprintf("SKU-%08d", id)
	if !strings.Contains(body, `value="`+sku+`"`) || !strings.Contains(body, `name="csrf_token"`) {
		return fmt.Errorf("the form does not show the row's sku %s", sku)
	}
	return nil
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	ctx  context.Context
	c    *http.Client
	base string
}

func newBrowser(ctx context.Context, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{ctx: ctx, base: base, c: &http.Client{Jar: jar, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.ctx, method, b.base+path, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp, string(out), err
}

// get fetches path and fails unless the answer is 200.
func (b *browser) get(path string) (string, error) {
	resp, body, err := b.do("GET", path, nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d, want 200 (Location %q)\n%s", path, resp.StatusCode, resp.Header.Get("Location"), excerpt(body))
	}
	return body, nil
}

func excerpt(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// login posts the login form and checks that the admin's index opens.
func (b *browser) login(user, password string) error {
	body, err := b.get("/login")
	if err != nil {
		return err
	}
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		return errors.New("no CSRF token in the login page")
	}
	resp, body, err := b.do("POST", "/login", url.Values{"username": {user}, "password": {password}, "next": {"/admin/"}, "csrf_token": {m[1]}})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
		return fmt.Errorf("login: status %d, Location %q; want 303 to /admin/\n%s", resp.StatusCode, resp.Header.Get("Location"), excerpt(body))
	}
	if body, err = b.get("/admin/"); err != nil {
		return err
	}
	if !strings.Contains(body, "/admin/bench_items/") {
		return errors.New("the admin's index does not list bench_items")
	}
	return nil
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
