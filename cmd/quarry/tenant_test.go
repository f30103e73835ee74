package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tests/dbtest"
)

type cliRun struct {
	code           int
	stdout, stderr string
}

// quarryIn runs the CLI in-process with stdin, as main does.
func quarryIn(t *testing.T, stdin string, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetIn(strings.NewReader(stdin))
	code := runRoot(context.Background(), root, args, &errb)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// collapse turns each run of spaces into one, so that checks do not
// depend on the column widths.
func collapse(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// TestTenantCLI drives quarry tenant on a registry of each dialect: create
// two tenants (with the demo's migrations), list, show, suspend, resume, a
// domain, migrate --all, a delete that is not confirmed, then deleted with
// --yes.
func TestTenantCLI(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			var b [4]byte
			_, _ = rand.Read(b[:])
			common := []string{"--database-url", dbtest.NewURL(t, name), "--sqlite-dir", t.TempDir(),
				"--database-prefix", "qc" + hex.EncodeToString(b[:]) + "_", "--dir", filepath.Join("..", "..", "examples", "blog", "migrations")}
			q := func(want int, stdin string, args ...string) cliRun {
				t.Helper()
				r := quarryIn(t, stdin, append(args, common...)...)
				if r.code != want {
					t.Fatalf("quarry %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
				}
				return r
			}
			t.Cleanup(func() {
				for _, slug := range []string{"acme", "globex"} {
					quarryIn(t, "", append([]string{"tenant", "delete", slug, "--yes", "--no-archive"}, common...)...)
				}
			})

			if r := q(0, "", "tenant", "create", "acme", "--name", "Acme Corp"); !strings.Contains(r.stdout, "created tenant acme") {
				t.Errorf("create: %q", r.stdout)
			}
			q(0, "", "tenant", "create", "globex")
			if r := q(1, "", "tenant", "create", "acme"); !strings.Contains(r.stderr, "already exists") {
				t.Errorf("create twice: %q", r.stderr)
			}
			if r := q(1, "", "tenant", "create", "Bad_Slug"); !strings.Contains(r.stderr, "lower-case") {
				t.Errorf("bad slug: %q", r.stderr)
			}
			r := q(0, "", "tenant", "list")
			if !strings.Contains(r.stdout, "acme") || !strings.Contains(r.stdout, "Acme Corp") || !strings.Contains(r.stdout, "globex") || !strings.Contains(r.stdout, "active") {
				t.Errorf("list: %q", r.stdout)
			}
			q(0, "", "tenant", "adddomain", "acme", "Shop.Acme.Example")
			q(0, "", "tenant", "brand", "acme", "--logo-url", "https://cdn.example.com/acme.svg", "--accent", "#2F7D4A")
			q(0, "", "tenant", "brand", "acme", "--accent", "#112233") // the logo kept
			if r := q(1, "", "tenant", "brand", "acme", "--accent", "red"); !strings.Contains(r.stderr, "#rrggbb") {
				t.Errorf("bad accent: %q", r.stderr)
			}
			q(2, "", "tenant", "brand", "acme")
			q(0, "", "tenant", "suspend", "acme")
			r = q(0, "", "tenant", "show", "acme")
			for _, want := range []string{"status: suspended", "domains: shop.acme.example", "name: Acme Corp",
				"logo: https://cdn.example.com/acme.svg", "accent: #112233"} {
				if !strings.Contains(collapse(r.stdout), want) {
					t.Errorf("show: %q lacks %q", r.stdout, want)
				}
			}
			q(0, "", "tenant", "resume", "acme")
			if r := q(0, "", "tenant", "show", "acme"); !strings.Contains(collapse(r.stdout), "status: active") {
				t.Errorf("show after resume: %q", r.stdout)
			}
			if r := q(0, "", "tenant", "migrate", "--all"); !strings.Contains(r.stdout, "acme: up to date") || !strings.Contains(r.stdout, "globex: up to date") || !strings.Contains(r.stdout, "2 tenants in") {
				t.Errorf("migrate --all: %q", r.stdout)
			}
			q(0, "", "tenant", "migrate", "globex")
			q(2, "", "tenant", "migrate")
			q(2, "", "tenant", "migrate", "acme", "--all")

			if r := q(1, "no\n", "tenant", "delete", "acme"); !strings.Contains(r.stderr, "Type the slug to confirm") || !strings.Contains(r.stderr, "not confirmed") {
				t.Errorf("unconfirmed delete: %q", r.stderr)
			}
			q(0, "", "tenant", "show", "acme")
			r = q(0, "acme\n", "tenant", "delete", "acme")
			if !strings.Contains(r.stderr, "ARCHIVE its database") {
				t.Errorf("delete's question: %q", r.stderr)
			}
			switch archive := archiveRe.FindString(r.stdout); {
			case name == dialects.SQLite:
				if !strings.Contains(r.stdout, "archived its database file to ") || !strings.Contains(r.stdout, filepath.Join("archive", "acme-")) {
					t.Errorf("delete on SQLite: %q", r.stdout)
				}
			case name == dialects.Postgres:
				if archive == "" || !strings.Contains(r.stdout, "archived its database as "+archive) {
					t.Fatalf("delete on PostgreSQL: %q", r.stdout)
				}
				dropArchive(t, common[1], archive)
			default:
				if archive != "" || !strings.Contains(r.stdout, "not archived (") || !strings.Contains(r.stdout, "cannot rename a database): dropped its database") {
					t.Errorf("delete on %s: %q", name, r.stdout)
				}
			}
			if r := q(0, "", "tenant", "delete", "globex", "--yes", "--no-archive"); !strings.Contains(r.stdout, "dropped its database") || strings.Contains(r.stdout, "archived") {
				t.Errorf("delete --no-archive: %q", r.stdout)
			}
			q(2, "", "tenant", "delete", "globex", "--keep-data", "--no-archive")
			if r := q(0, "", "tenant", "list"); strings.Contains(r.stdout, "acme") || strings.Contains(r.stdout, "globex") {
				t.Errorf("list after delete: %q", r.stdout)
			}
			if r := q(1, "", "tenant", "show", "acme"); !strings.Contains(r.stderr, "no such tenant") {
				t.Errorf("show deleted: %q", r.stderr)
			}
		})
	}
}

var archiveRe = regexp.MustCompile(`quarry_a_acme_[0-9]{14}`)

// dropArchive drops the archive database name on the server of rawURL.
func dropArchive(t *testing.T, rawURL, name string) {
	t.Helper()
	u, err := dialects.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := dialects.OpenURL(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := u.Dialect.DropDatabase(context.Background(), db, name); err != nil {
		t.Errorf("drop the archive %s: %v", name, err)
	}
}

// TestTenantCLIErrors: usage errors exit 2, and a tenant database URL's
// password is never printed.
func TestTenantCLIErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	reg := []string{"--database-url", "sqlite:" + filepath.Join(dir, "main.db"), "--sqlite-dir", dir}
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"tenant"}, 2, "tenant needs a verb"},
		{[]string{"tenant", "frobnicate"}, 2, `unknown tenant verb "frobnicate"`},
		{[]string{"tenant", "create"}, 2, "accepts 1 arg(s), received 0"},
		{append([]string{"tenant", "create", "acme", "--tenant-database-url", "postgres://u:topsecret@127.0.0.1:1/db?connect_timeout=2"}, reg...), 1, "127.0.0.1:1"},
		{append([]string{"tenant", "create", "acme", "--tenant-database-url", "mysql://u:topsecret@127.0.0.1:1/db?timeout=2s"}, reg...), 1, "127.0.0.1:1"},
		{append([]string{"tenant", "create", "acme", "--mode", "schema"}, reg...), 1, "needs a database with named schemas"},
		{[]string{"tenant", "list", "--database-url", "oracle://x/y"}, 2, "unknown database dialect"},
	} {
		r := quarryIn(t, "", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("quarry %v: exit %d (want %d), stderr %q (want %q)", tt.args, r.code, tt.code, r.stderr, tt.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "topsecret") {
			t.Errorf("quarry %v printed the password: %q %q", tt.args, r.stdout, r.stderr)
		}
	}
	if r := quarryIn(t, "", append([]string{"tenant", "list"}, reg...)...); r.code != 0 || strings.Contains(r.stdout, "acme") {
		t.Errorf("failed creations left a tenant: %d %q %q", r.code, r.stdout, r.stderr)
	}
}
