// Command django measures Quarry's admin side by side with the Django 3.2
// admin anchor (../shared/anchors/django) on the same PostgreSQL data: the
// anchor's blog_author and blog_post tables (1,000 authors, 1,000,000
// posts). It adds the framework's tables to that database, serves the
// admin over it, and runs wrk on the pages that correspond to the ones
// the anchor's measure.sh times (same wrk settings: 2 threads, 8
// connections, 10 s), printing requests/s and p50 per page.
//
//	make bench-django   # runs the anchor's setup and measure.sh, then this
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/session"
	"golang.org/x/sync/errgroup"
)

func main() {
	dbURL := flag.String("db", "postgres://postgres@127.0.0.1:5432/django_anchor?sslmode=disable", "the anchor's database")
	duration := flag.Duration("d", 10*time.Second, "wrk duration per page")
	flag.Parse()
	if err := run(context.Background(), *dbURL, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "bench/django:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dbURL string, duration time.Duration) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (the anchor's setup.sh installs it)")
	}
	quiet := slog.New(slog.DiscardHandler)
	app, err := framework.New(ctx, framework.Config{DatabaseURL: dbURL, Env: framework.EnvTest}, framework.WithLogger(quiet))
	if err != nil {
		return err
	}
	defer app.Close()
	d := app.Database()
	var posts int64
	if err := d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM blog_post").Scan(&posts); err != nil {
		return fmt.Errorf("the anchor's data is missing (run its setup.sh): %w", err)
	}
	m, err := migrate.New(d, migrate.Options{})
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	password := rand.Text()
	svc := auth.New(d)
	if _, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "bench", Password: password, Superuser: true}); errors.Is(err, auth.ErrUsernameTaken) {
		err = svc.SetPassword(ctx, "bench", password)
	} else if err != nil {
		return err
	}
	a, err := authhttp.New(authhttp.Options{Sessions: authhttp.NewSessions(app.Config(), session.NewStore(d)), Keys: app.Keys(), Logger: quiet})
	if err != nil {
		return err
	}
	app.Use(a.Middleware)
	r := app.Router()
	a.Mount(r)
	// The anchor's ModelAdmin options, in Quarry's terms.
	adm, err := admin.New(ctx, app, admin.Options{Auth: a, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Tables: map[string]admin.Table{
			"blog_post":   {ListDisplay: []string{"id", "title", "author_id", "status", "published_at"}, SearchFields: []string{"title"}, ListFilter: []string{"status"}, PerPage: 100},
			"blog_author": {ListDisplay: []string{"id", "name"}, SearchFields: []string{"name"}},
		}})
	if err != nil {
		return err
	}
	r.Handle("/admin/", adm)
	// The same tables as REST resources (framework/api over the rows
	// engine), for the anchor's JSON view.
	schema, err := introspect.Load(ctx, d)
	if err != nil {
		return err
	}
	if err := api.Mount(r, nil, api.Options{Require: a.RequirePerm, Can: a.Can, Schema: schema, Keys: app.Keys(), Logger: quiet,
		Resources: []api.Resource{{Table: "blog_post", Search: []string{"title"}, Public: true}, {Table: "blog_author"}}}); err != nil {
		return err
	}
	// The search index makemigrations writes for "-- quarry:search title"
	// (dialects.SchemaTools.SearchIndexes: pg_trgm, a GIN trigram index on
	// LOWER(title)); Django's search (UPPER(title) LIKE UPPER(...)) has
	// none and gets none from it. Dropped at the end: the anchor's
	// database stays as its setup made it.
	var indexes []string
	for _, stmt := range d.Dialect.SearchIndexes("blog_post", []string{"title"}) {
		if _, err := d.DB.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if strings.HasPrefix(stmt, "CREATE INDEX") {
			indexes = append(indexes, strings.Fields(stmt)[2])
		}
	}
	defer func() {
		for _, ix := range indexes {
			_, _ = d.DB.ExecContext(context.Background(), "DROP INDEX IF EXISTS "+ix)
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app.Handler()}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()
	cookie, err := login(base, password)
	if err != nil {
		return err
	}
	fmt.Printf("quarry admin over the anchor's database (%d posts), wrk -t2 -c8 -d%s\n", posts, duration)
	// Django's list pages show 100 rows; so do these. p is a numbered
	// (offset) page, half-way through, as the anchor's ?p=5000 (measured by
	// make bench-django beside measure.sh); "after" is Quarry's keyset page
	// at the same depth.
	for _, path := range []string{
		"/admin/blog_post/",
		"/admin/blog_post/?p=5000",
		"/admin/blog_post/?after=" + cursor(posts/2),
		"/admin/blog_post/?q=title+99999",
		"/admin/blog_post/?f.status=published",
		"/admin/blog_post/500/change/",
		// The anchor's /api/posts, a public view: the 20 newest posts,
		// five fields; blog_post is a public resource (Resource.Public),
		// so these are asked anonymously.
		"/api/blog_post/?page_size=20&fields=id,title,status,published_at,author_id",
		"/api/blog_post/?page_size=20&fields=id,title&search=title+99999",
	} {
		c := cookie
		if strings.HasPrefix(path, "/api/") {
			c = ""
		}
		rps, p50, non2xx, err := wrk(base+path, c, duration)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Printf("quarry %s rps=%s p50=%s non2xx=%s\n", path, rps, p50, non2xx)
	}
	// What no exact numbered page can beat: the deep page's skip alone,
	// the key-only OFFSET query ?p=5000 runs (100 rows a page), on as
	// many connections as wrk opens, without HTTP.
	n, err := queryRate(ctx, d.DB, "SELECT id FROM blog_post ORDER BY id DESC LIMIT 101 OFFSET 499900", 8, duration)
	if err != nil {
		return err
	}
	fmt.Printf("floor: the key-only OFFSET query of ?p=5000 alone, 8 connections: %.1f queries/s\n", n)
	return nil
}

// queryRate runs query on conns connections for d and returns how many
// ran per second.
func queryRate(ctx context.Context, db *sql.DB, query string, conns int, d time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	start := time.Now()
	for range conns {
		g.Go(func() error {
			for ctx.Err() == nil {
				rows, err := db.QueryContext(ctx, query)
				if err != nil {
					return nil // the deadline
				}
				for rows.Next() {
				}
				if err := rows.Close(); err != nil && ctx.Err() == nil {
					return err
				}
				if ctx.Err() == nil {
					done.Add(1)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// cursor is the admin's keyset page token after row id (newest first).
func cursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `["%d"]`, id))
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login returns the session cookie of the bench superuser.
func login(base, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/login")
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		return "", errors.New("no CSRF token on the login page")
	}
	resp, err = c.PostForm(base+"/login", url.Values{"username": {"bench"}, "password": {password}, "csrf_token": {string(m[1])}, "next": {"/admin/"}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("login: %s", resp.Status)
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "quarry_session" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", errors.New("login set no session cookie")
}

// wrk runs wrk like the anchor's measure.sh and returns requests/s, the
// median latency and the count of non-2xx answers.
func wrk(target, cookie string, d time.Duration) (rps, p50, non2xx string, err error) {
	out, err := exec.Command("wrk", "-t2", "-c8", "-d"+d.String(), "--latency", "-H", "Cookie: "+cookie, target).CombinedOutput()
	if err != nil {
		return "", "", "", fmt.Errorf("wrk: %v\n%s", err, out)
	}
	non2xx = "0"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "Requests/sec:":
			rps = f[1]
		case len(f) >= 2 && f[0] == "50%":
			p50 = f[1]
		case strings.Contains(line, "Non-2xx"):
			non2xx = f[len(f)-1]
		}
	}
	return rps, p50, non2xx, nil
}
