package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/schemadiff"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// BenchmarkUserGetByID measures one primary-key lookup per dialect through
// the generated adapter, beside the same query written by hand with
// database/sql (the baseline): the difference is the adapter's cost.
func BenchmarkUserGetByID(b *testing.B) {
	for _, name := range dialects.All() {
		db := dbtest.New(b, name)
		m, err := migrate.New(db.Database(), migrate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Up(context.Background()); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		q := db.Dialect().Queries(db.SQL)
		id, err := q.UserCreate(ctx, queries.UserCreateParams{Username: "bench", Data: "{}", IsActive: true})
		if err != nil {
			b.Fatal(err)
		}
		raw := "SELECT id, username, email, password_hash, is_active, is_staff, is_superuser, last_login, password_changed_at, created_at, data FROM quarry_users WHERE id = " + db.Dialect().Placeholder(1)
		b.Run(string(name)+"/baseline-database-sql", func(b *testing.B) {
			for b.Loop() {
				var u queries.QuarryUser
				if err := db.SQL.QueryRowContext(ctx, raw, id).Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.IsActive,
					&u.IsStaff, &u.IsSuperuser, &u.LastLogin, &u.PasswordChangedAt, &u.CreatedAt, &u.Data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(name)+"/adapter", func(b *testing.B) {
			for b.Loop() {
				if _, err := q.UserGetByID(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandleQuery measures, per dialect, a one-query JSON handler
// that reads a user through the request's handle (framework.DatabaseFrom,
// the generated adapter, classified errors) beside the same handler on
// bare database/sql with the row scanned by hand (the baseline). The two
// run interleaved in blocks of handleBlock requests inside one loop, so
// that the load on the machine, which moves more than the difference
// between them, weighs on both alike; it reports each one's mean
// (bare-ns/req, handle-ns/req) and the handle's cost in per cent of the
// baseline (handle-%), which the issue bounds at 2 %.
func BenchmarkHandleQuery(b *testing.B) {
	for _, name := range dialects.All() {
		db := dbtest.New(b, name)
		m, err := migrate.New(db.Database(), migrate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if _, err := m.Up(ctx); err != nil {
			b.Fatal(err)
		}
		id, err := db.Dialect().Queries(db.SQL).UserCreate(ctx, queries.UserCreateParams{Username: "bench", Data: "{}", IsActive: true})
		if err != nil {
			b.Fatal(err)
		}
		// The baseline sends the very text sqlc generated (its name comment
		// included, SQLite's numbered ?1), so the two differ by the handle only.
		ph := db.Dialect().Placeholder(1)
		if name == dialects.SQLite {
			ph = "?1"
		}
		raw := "-- name: UserGetByID :one\nSELECT id, username, email, password_hash, is_active, is_staff, is_superuser, last_login, password_changed_at, created_at, data FROM quarry_users WHERE id = " + ph + "\n"
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var u queries.QuarryUser
			if err := db.SQL.QueryRowContext(r.Context(), raw, id).Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.IsActive,
				&u.IsStaff, &u.IsSuperuser, &u.LastLogin, &u.PasswordChangedAt, &u.CreatedAt, &u.Data); err != nil {
				framework.WriteError(w, r, http.StatusInternalServerError, "internal error")
				return
			}
			framework.WriteJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Username})
		})
		handle := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, err := framework.DatabaseFrom(r.Context()).Queries().UserGetByID(r.Context(), id)
			if err != nil {
				framework.WriteError(w, r, http.StatusInternalServerError, "internal error")
				return
			}
			framework.WriteJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Username})
		})
		req := httptest.NewRequest("GET", "/user", nil)
		req = req.WithContext(framework.WithDatabase(req.Context(), db.Database()))
		serve := func(h http.Handler) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d: %s", rec.Code, rec.Body)
			}
		}
		b.Run(string(name), func(b *testing.B) {
			var inBare, inHandle time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				for range handleBlock {
					serve(bare)
				}
				mid := time.Now()
				for range handleBlock {
					serve(handle)
				}
				inBare += mid.Sub(start)
				inHandle += time.Since(mid)
				n += handleBlock
			}
			b.ReportMetric(float64(inBare.Nanoseconds())/float64(n), "bare-ns/req")
			b.ReportMetric(float64(inHandle.Nanoseconds())/float64(n), "handle-ns/req")
			b.ReportMetric(100*(float64(inHandle)/float64(inBare)-1), "handle-%")
		})
	}
}

// handleBlock is how many requests BenchmarkHandleQuery serves one way
// before switching to the other.
const handleBlock = 32

// BenchmarkHandler measures a trivial handler behind a bare net/http
// ServeMux (the baseline) and behind the App's middleware chain (request id,
// access log to a discarding handler, recovery, database in context).
func BenchmarkHandler(b *testing.B) {
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	bare := http.NewServeMux()
	bare.HandleFunc("/ping", ok)
	app, err := framework.New(context.Background(), framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	app.Router().HandleFunc("/ping", ok)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"baseline-mux", bare}, {"framework", app.Handler()}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/ping", nil)
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// benchSchema is a 50-table schema; with pending set, 20 of its tables
// carry a change: a new column (10), a new index (5), a new default (5).
func benchSchema(name dialects.Name, pending bool) string {
	types := ddlTypes[name]
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "CREATE TABLE t%02d (\n    id {id},\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "    parent_id {ref} REFERENCES t%02d (id),\n", i-1)
		}
		rank := "0"
		if pending && i >= 15 && i < 20 {
			rank = "1"
		}
		fmt.Fprintf(&b, "    title VARCHAR(200) NOT NULL,\n    body {text},\n    rnk INTEGER NOT NULL DEFAULT %s,\n    created_at {ts} NOT NULL DEFAULT {now}", rank)
		if pending && i < 10 {
			b.WriteString(",\n    extra VARCHAR(50)")
		}
		b.WriteString("\n){engine};\n")
		fmt.Fprintf(&b, "CREATE INDEX t%02d_title_idx ON t%02d (title);\n", i, i)
		if pending && i >= 10 && i < 15 {
			fmt.Fprintf(&b, "CREATE INDEX t%02d_rnk_idx ON t%02d (rnk, created_at);\n", i, i)
		}
	}
	return types.Replace(b.String())
}

// BenchmarkMakeMigrations times makemigrations on a 50-table schema per
// dialect: with nothing pending (the baseline: both states built and
// diffed) and with 20 pending changes (planned, verified up and down). On
// SQLite it also times the whole CLI command, the figure the issue bounds
// at 2 seconds.
func BenchmarkMakeMigrations(b *testing.B) {
	ctx := context.Background()
	for _, name := range dialects.All() {
		db := dbtest.New(b, name) // skips or fails like the tests when the server is missing
		dev := map[dialects.Name]string{dialects.Postgres: os.Getenv(dbtest.EnvPostgres), dialects.MySQL: os.Getenv(dbtest.EnvMySQL)}[name]
		app := b.TempDir()
		sqlDir, migDir := filepath.Join(app, "sql"), filepath.Join(app, "migrations")
		os.MkdirAll(sqlDir, 0o755)
		os.MkdirAll(migDir, 0o755)
		write := func(pending bool) {
			if err := os.WriteFile(filepath.Join(sqlDir, "schema.sql"), []byte(benchSchema(name, pending)), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		opts := schemadiff.Options{Dialect: db.Dialect(), SchemaDir: sqlDir, Migrations: os.DirFS(migDir), DevURL: dev}
		write(false)
		initial, err := schemadiff.Diff(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := migrate.CreateWith(migDir, "initial", []byte(initial.File)); err != nil {
			b.Fatal(err)
		}
		b.Run(string(name)+"/baseline-no-changes", func(b *testing.B) {
			for b.Loop() {
				if res, err := schemadiff.Diff(ctx, opts); err != nil || !res.Empty() {
					b.Fatal(err, res.Summary)
				}
			}
		})
		write(true)
		b.Run(string(name)+"/20-changes", func(b *testing.B) {
			for b.Loop() {
				if res, err := schemadiff.Diff(ctx, opts); err != nil || len(res.Summary) != 20 {
					b.Fatal(err, res.Summary)
				}
			}
		})
		if name == dialects.SQLite {
			b.Run("sqlite/cli-20-changes", func(b *testing.B) {
				for b.Loop() {
					cmd := exec.Command(quarryBin, "makemigrations", "--dialect", "sqlite", "--schema", sqlDir, "--dir", migDir, "--dry-run")
					cmd.Env = cleanEnv()
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%v\n%s", err, out)
					}
				}
			})
		}
	}
}

// BenchmarkSessionUser measures, per dialect, a request to a handler behind
// the session and current-user middleware with a logged-in session, and one
// behind a permission check too, beside the same handler without sessions
// (the baseline). The session, the user and the permissions version load in
// one query; the permission set comes from the cache. It reports the median
// (p50-ns) besides the mean.
func BenchmarkSessionUser(b *testing.B) {
	ctx := context.Background()
	for _, name := range dialects.All() {
		db := dbtest.New(b, name)
		m, err := migrate.New(db.Database(), migrate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			b.Fatal(err)
		}
		app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest},
			framework.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			b.Fatal(err)
		}
		svc := auth.New(app.Database())
		u, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "bench", Password: "plenty-long-secret"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.SeedPermissions(ctx); err != nil {
			b.Fatal(err)
		}
		p, err := db.Dialect().Queries(db.SQL).PermissionGetByCodename(ctx, "quarry_users.change")
		if err == nil {
			err = db.Dialect().Queries(db.SQL).UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: p.ID, Granted: true})
		}
		if err == nil {
			err = svc.PermissionsChanged(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		sm := authhttp.NewSessions(app.Config(), session.NewStore(app.Database()))
		a, err := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys()})
		if err != nil {
			b.Fatal(err)
		}
		noContent := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		app.Router().Handle("/plain", noContent)
		authed := http.NewServeMux() // every path but /plain, behind the auth layer
		a.Mount(authed)
		authed.Handle("/me", a.RequireLogin(noContent))
		authed.Handle("/edit", a.RequirePerm("quarry_users.change")(noContent))
		app.Router().Handle("/", a.Middleware(authed))
		srv := httptest.NewServer(app.Handler())
		br := newBenchBrowser(b, srv.URL)
		cookie := br.loginCookie("bench", "plenty-long-secret")
		srv.Close()
		h := app.Handler()
		for _, c := range []struct{ name, path string }{{"baseline-no-session", "/plain"}, {"session-and-user", "/me"}, {"session-user-and-permission", "/edit"}} {
			b.Run(string(name)+"/"+c.name, func(b *testing.B) {
				var times []time.Duration
				for b.Loop() {
					req := httptest.NewRequest("GET", c.path, nil)
					req.Header.Set("Cookie", cookie)
					rec := httptest.NewRecorder()
					start := time.Now()
					h.ServeHTTP(rec, req)
					times = append(times, time.Since(start))
					if rec.Code != http.StatusNoContent {
						b.Fatalf("%s: %d", c.path, rec.Code)
					}
				}
				slices.Sort(times)
				b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
			})
		}
		app.Close()
	}
}

// benchBrowser logs in once to get a session cookie for the benchmark.
type benchBrowser struct {
	b    *testing.B
	base string
	c    *http.Client
}

func newBenchBrowser(b *testing.B, base string) *benchBrowser {
	jar, _ := cookiejar.New(nil)
	return &benchBrowser{b: b, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (bb *benchBrowser) loginCookie(user, pw string) string {
	resp, err := bb.c.Get(bb.base + "/login")
	if err != nil {
		bb.b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindStringSubmatch(string(page))
	if m == nil {
		bb.b.Fatal("no CSRF token")
	}
	resp, err = bb.c.PostForm(bb.base+"/login", url.Values{"username": {user}, "password": {pw}, "csrf_token": {m[1]}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		bb.b.Fatalf("login: %v %v", err, resp)
	}
	resp.Body.Close()
	u, _ := url.Parse(bb.base)
	for _, c := range bb.c.Jar.Cookies(u) {
		if c.Name == "quarry_session" {
			return c.Name + "=" + c.Value
		}
	}
	bb.b.Fatal("no session cookie")
	return ""
}
