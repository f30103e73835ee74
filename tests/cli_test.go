package tests

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLIHelpAndErrors checks --help on every verb and the exit codes and
// messages of bad invocations.
func TestCLIHelpAndErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--help"}, {"gen", "--help"}, {"serve", "--help"}, {"version", "--help"},
		{"migrate", "--help"}, {"migrate", "up", "--help"}, {"migrate", "down", "--help"},
		{"migrate", "up-to", "--help"}, {"migrate", "down-to", "--help"}, {"migrate", "redo", "--help"},
		{"migrate", "status", "--help"}, {"migrate", "create", "--help"},
	} {
		r := quarry(t, dir, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("quarry %v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	if r := quarry(t, dir, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "quarry ") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
	for _, tt := range []struct {
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{nil, []string{"migrate"}, 2, "migrate needs a verb"},
		{nil, []string{"migrate", "sideways"}, 2, `unknown migrate verb "sideways"`},
		{nil, []string{"migrate", "up", "--bogus"}, 2, "unknown flag: --bogus"},
		{nil, []string{"migrate", "up-to"}, 2, "accepts 1 arg(s), received 0"},
		{[]string{"DATABASE_URL=oracle://x/y"}, []string{"migrate", "status"}, 2, `unknown database dialect: scheme "oracle"`},
		{[]string{"DATABASE_URL=mysql://root:topsecret@127.0.0.1:3306/"}, []string{"migrate", "up"}, 2, "database name"},
		{[]string{"QUARRY_ENV=prod"}, []string{"migrate", "status"}, 2, "DATABASE_URL is not set"},
		{[]string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, []string{"migrate", "up"}, 1, "connect to postgres://nobody@127.0.0.1:1/x"},
		{[]string{"QUARRY_ENV=prod", "DATABASE_URL=sqlite::memory:"}, []string{"serve"}, 2, "QUARRY_SECRET_KEY is required"},
		{[]string{"QUARRY_BIND=nonsense"}, []string{"serve"}, 2, `QUARRY_BIND="nonsense"`},
		{nil, []string{"migrate", "create", "!!!"}, 1, "has no letters or digits"},
		{nil, []string{"gen", "-f", "missing.yaml"}, 1, "open missing.yaml: no such file or directory"},
		{nil, []string{"makemigrations", "--dialect", "sqlite", "--concurrent-indexes"}, 2, "--concurrent-indexes: sqlite cannot build indexes concurrently"},
		{nil, []string{"makemigrations", "--dialect", "mysql", "--dev-url", "mysql://root@127.0.0.1:1/x", "--concurrent-indexes"}, 2, "--concurrent-indexes: mysql cannot build indexes concurrently"},
	} {
		r := quarry(t, dir, tt.env, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("quarry %v: exit %d (want %d), stderr %q (want %q)", tt.args, r.code, tt.code, r.stderr, tt.stderr)
		}
		if strings.Contains(r.stderr, "topsecret") {
			t.Errorf("quarry %v printed the password: %q", tt.args, r.stderr)
		}
	}
}

// copyBlog copies the demo's sqlc inputs into a scratch module so gen can
// run without touching the repository.
func copyBlog(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(repoRoot(t), "examples", "blog")
	for _, d := range []string{"sql", "queries"} {
		if err := os.CopyFS(filepath.Join(dst, d), os.DirFS(filepath.Join(src, d))); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"sqlc.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "go.mod"), []byte("module example.com/blogcopy\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestCLIGenParity runs `quarry gen` on a copy of the demo: it writes the
// shared types and adapters, then fails naming the query and the field when
// one dialect drops a query or changes a type.
func TestCLIGenParity(t *testing.T) {
	t.Parallel()
	dir := copyBlog(t)
	r := quarry(t, dir, nil, "gen", "--types", "db")
	if r.code != 0 {
		t.Fatalf("gen: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"db/queries_gen.go", "db/sqlite/queries_gen.go", "db/postgres/queries_gen.go", "db/mysql/queries_gen.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !strings.Contains(string(b), "DO NOT EDIT") {
			t.Errorf("%s: %v", f, err)
		}
	}
	if r := quarry(t, dir, nil, "gen"); r.code != 1 || !strings.Contains(r.stderr, "--types DIR") {
		t.Errorf("gen without --types: %d %q", r.code, r.stderr)
	}

	// Renaming a query file removes sqlc's output for the old name.
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		if err := os.Rename(filepath.Join(dir, "queries", d, "blog.sql"), filepath.Join(dir, "queries", d, "posts.sql")); err != nil {
			t.Fatal(err)
		}
	}
	r = quarry(t, dir, nil, "gen", "--types", "db")
	if r.code != 0 || !strings.Contains(r.stdout, "updated db/sqlite/internal/sqlcdb/blog.sql.go") {
		t.Fatalf("gen after rename: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		if _, err := os.Stat(filepath.Join(dir, "db", d, "internal", "sqlcdb", "blog.sql.go")); !os.IsNotExist(err) {
			t.Errorf("%s: stale blog.sql.go kept (%v)", d, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "db", "queries_gen.go")); !strings.Contains(string(b), "PostsQueries") {
		t.Error("shared types do not follow the renamed query file")
	}

	// Drop PostCount from MySQL, and make tags.name nullable on SQLite.
	edit := func(path, old, new string) {
		t.Helper()
		p := filepath.Join(dir, path)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s lacks %q", path, old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("queries/mysql/posts.sql", "-- name: PostCount :one\nSELECT COUNT(*) FROM posts;\n", "")
	edit("sql/sqlite/schema.sql", "name VARCHAR(64) NOT NULL,", "name VARCHAR(64),")
	r = quarry(t, dir, nil, "gen", "--types", "db")
	if r.code != 1 {
		t.Fatalf("gen with divergent dialects: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"dialect parity check failed",
		"query PostCount is in sqlite (queries/sqlite/posts.sql) but missing from mysql (queries/mysql)",
		"field Tag.Name is sql.NullString in sqlite but string in postgres",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("parity error lacks %q:\n%s", want, r.stderr)
		}
	}
}

var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+)`)

// TestCLIServe starts `quarry serve`, checks /healthz and /readyz, then
// stops it with SIGTERM: it drains and exits 0.
func TestCLIServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Port 0: the server picks a free port and logs it.
	cmd := exec.CommandContext(ctx, quarryBin, "serve", "--bind", "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(cleanEnv(), "DATABASE_URL=sqlite:./var/app.db", "QUARRY_ENV=dev")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var addr string
	for addr == "" && sc.Scan() {
		if m := servingAddr.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatal("quarry serve never logged msg=serving with its address")
	}
	go io.Copy(io.Discard, stderr)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
}
