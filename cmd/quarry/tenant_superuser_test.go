package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestTenantCreateSuperuser: quarry tenant createsuperuser makes the user
// in the named tenant's database only — not in the other tenant's, not in
// the registry's — and refuses an unknown tenant and a missing password
// off a terminal.
func TestTenantCreateSuperuser(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			var b [4]byte
			_, _ = rand.Read(b[:])
			mainURL, sqliteDir, prefix := dbtest.NewURL(t, name), t.TempDir(), "qs"+hex.EncodeToString(b[:])+"_"
			common := []string{"--database-url", mainURL, "--sqlite-dir", sqliteDir,
				"--database-prefix", prefix, "--dir", filepath.Join("..", "..", "examples", "blog", "migrations")}
			q := func(want int, args ...string) cliRun {
				t.Helper()
				r := quarryIn(t, "", append(args, common...)...)
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
			q(0, "tenant", "create", "acme")
			q(0, "tenant", "create", "globex")
			if r := q(0, "tenant", "createsuperuser", "acme", "--username", "boss", "--email", "boss@acme.test", "--password", "violet-harbor-lantern-71"); !strings.Contains(r.stdout, "created superuser boss") {
				t.Errorf("createsuperuser: %q", r.stdout)
			}
			if r := q(0, "tenant", "createsuperuser", "globex", "--username", "other", "--generate"); !strings.Contains(r.stdout, "Generated password for other") {
				t.Errorf("createsuperuser --generate: %q", r.stdout)
			}
			if r := q(1, "tenant", "createsuperuser", "acme", "--username", "boss", "--password", "violet-harbor-lantern-71"); !strings.Contains(r.stderr, "exists") && !strings.Contains(r.stderr, "taken") {
				t.Errorf("createsuperuser twice: %q", r.stderr)
			}
			if r := q(1, "tenant", "createsuperuser", "nosuch", "--username", "boss", "--password", "violet-harbor-lantern-71"); !strings.Contains(r.stderr, "no such tenant") {
				t.Errorf("unknown tenant: %q", r.stderr)
			}
			if r := q(2, "tenant", "createsuperuser", "acme", "--username", "x"); !strings.Contains(r.stderr, "--password or --generate") {
				t.Errorf("no password off a terminal: %q", r.stderr)
			}

			ctx := context.Background()
			mainDB, err := framework.OpenDatabase(ctx, mainURL)
			if err != nil {
				t.Fatal(err)
			}
			defer mainDB.DB.Close()
			reg := tenancy.NewRegistry(mainDB, tenancy.RegistryOptions{SQLiteDir: sqliteDir, DatabasePrefix: prefix})
			users := func(d *framework.Database, tableMayLack bool) map[string]bool {
				t.Helper()
				rows, err := d.DB.QueryContext(ctx, "SELECT username FROM quarry_users WHERE is_superuser = "+d.Dialect.Placeholder(1), true)
				if err != nil && tableMayLack {
					return nil // the registry's database has no users table: no users
				}
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				out := map[string]bool{}
				for rows.Next() {
					var u string
					if err := rows.Scan(&u); err != nil {
						t.Fatal(err)
					}
					out[u] = true
				}
				return out
			}
			for slug, want := range map[string]string{"acme": "boss", "globex": "other"} {
				tn, err := reg.Show(ctx, slug)
				if err != nil {
					t.Fatal(err)
				}
				d, err := reg.Open(ctx, tn)
				if err != nil {
					t.Fatal(err)
				}
				got := users(d, false)
				d.DB.Close()
				if len(got) != 1 || !got[want] {
					t.Errorf("%s's superusers: %v, want only %s", slug, got, want)
				}
			}
			if got := users(mainDB, true); len(got) != 0 {
				t.Errorf("the registry's database got superusers: %v", got)
			}
		})
	}
}
