package tenancy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/examples/blog/db"
	_ "github.com/quarry-go/quarry/examples/blog/db/mysql"
	_ "github.com/quarry-go/quarry/examples/blog/db/postgres"
	_ "github.com/quarry-go/quarry/examples/blog/db/sqlite"
	blogmigrations "github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// newRegistry returns a migrated registry in a fresh database of db's
// dialect whose tenants get the blog's migrations, SQLite files in the
// test's temp directory and, on a server, database names no other test
// uses; every tenant left at the end is deleted with its data.
func newRegistry(t *testing.T, tdb *dbtest.DB, app func(dialects.Name) (fs.FS, error)) (*tenancy.Registry, string) {
	t.Helper()
	if app == nil {
		app = blogmigrations.For
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "qt" + hex.EncodeToString(b[:]) + "_"
	reg := tenancy.NewRegistry(tdb.Database(), tenancy.RegistryOptions{SQLiteDir: t.TempDir(), DatabasePrefix: prefix, AppMigrations: app})
	ctx := context.Background()
	for range 2 { // idempotent
		if err := reg.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	t.Cleanup(func() {
		ts, err := reg.List(context.Background())
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		for _, tn := range ts {
			if err := reg.Delete(context.Background(), tn.Slug, true); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return reg, prefix
}

// dataExists reports whether the tenant database at rawURL exists, asked
// of tdb's server (Dialect.DatabaseExists; a SQLite file: on disk).
func dataExists(t *testing.T, tdb *dbtest.DB, rawURL string) bool {
	t.Helper()
	u, err := dialects.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Dialect.Capabilities().ServerDatabases {
		_, err := os.Stat(u.Database)
		return err == nil
	}
	exists, err := u.Dialect.DatabaseExists(context.Background(), tdb.SQL, u.Database)
	if err != nil {
		t.Fatal(err)
	}
	return exists
}

func generation(t *testing.T, reg *tenancy.Registry) int64 {
	t.Helper()
	g, err := reg.Generation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestRegistryTenants creates two tenants per dialect, writes the same
// username and rows with the same ids into both, and checks that neither
// handle sees the other's; then domains, suspend and resume, migrations and
// deletion with the data.
func TestRegistryTenants(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, tdb *dbtest.DB) {
		registryTenants(t, tdb, tenancy.ModeDatabase)
	})
}

// TestRegistryTenantsSchema is TestRegistryTenants with a schema per
// tenant, in the registry's PostgreSQL database.
func TestRegistryTenantsSchema(t *testing.T) {
	t.Parallel()
	registryTenants(t, dbtest.New(t, dialects.Postgres), tenancy.ModeSchema)
}

// tenantDataExists reports whether the tenant's data exists: its database
// (dataExists), or its schema in the database of its URL.
func tenantDataExists(t *testing.T, tdb *dbtest.DB, tn *tenancy.Tenant) bool {
	t.Helper()
	if tn.Mode != tenancy.ModeSchema {
		return dataExists(t, tdb, tn.DatabaseURL)
	}
	if tn.DatabaseURL != tdb.URL {
		t.Fatalf("%s: schema in %s, want the registry's database", tn.Slug, dialects.Redact(tn.DatabaseURL))
	}
	exists, err := tdb.Dialect().(dialects.Schemas).SchemaExists(context.Background(), tdb.SQL, tn.Schema)
	if err != nil {
		t.Fatal(err)
	}
	return exists
}

// registryTenants is TestRegistryTenants on tdb, its tenants of mode.
func registryTenants(t *testing.T, tdb *dbtest.DB, mode tenancy.Mode) {
	ctx := context.Background()
	reg, prefix := newRegistry(t, tdb, nil)
	if g := generation(t, reg); g != 0 {
		t.Errorf("generation of an empty registry: %d", g)
	}

	handles := map[string]*framework.Database{}
	for _, slug := range []string{"acme", "globex-2"} {
		g := generation(t, reg)
		tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug, Name: strings.ToUpper(slug) + " Inc.", Mode: mode})
		if err != nil {
			t.Fatalf("Create %s: %v", slug, err)
		}
		if tn.Status != tenancy.StatusActive || tn.Mode != mode || tn.Name != strings.ToUpper(slug)+" Inc." || tn.ID == 0 || tn.CreatedAt.IsZero() {
			t.Errorf("created %+v", tn)
		}
		if generation(t, reg) <= g {
			t.Errorf("Create did not move the generation on")
		}
		if mode == tenancy.ModeSchema {
			if tn.Schema != prefix+strings.ReplaceAll(slug, "-", "_") {
				t.Errorf("%s: schema %q", slug, tn.Schema)
			}
		} else if tdb.Name != dialects.SQLite && !strings.Contains(tn.DatabaseURL, "/"+prefix+strings.ReplaceAll(slug, "-", "_")) {
			t.Errorf("%s: database URL %s", slug, dialects.Redact(tn.DatabaseURL))
		}
		if !tenantDataExists(t, tdb, tn) {
			t.Fatalf("%s: no database at %s", slug, dialects.Redact(tn.DatabaseURL))
		}
		h, err := reg.Open(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.DB.Close() })
		handles[slug] = h
	}
	if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "acme"}); !errors.Is(err, tenancy.ErrExists) {
		t.Errorf("second acme: %v, want ErrExists", err)
	}

	// The same username and the same ids in both, each seen only by its own handle.
	for slug, h := range handles {
		u, err := auth.New(h).CreateUser(ctx, auth.CreateUserParams{Username: "alice", Password: "correct horse " + slug + " battery staple"})
		if err != nil {
			t.Fatalf("%s: CreateUser: %v", slug, err)
		}
		id, err := db.Queries(h).AuthorCreate(ctx, db.AuthorCreateParams{Name: "author of " + slug, Email: "a@" + slug + ".example", Bio: slug})
		if err != nil {
			t.Fatalf("%s: AuthorCreate: %v", slug, err)
		}
		if u.ID != 1 || id != 1 {
			t.Errorf("%s: user id %d, author id %d: want 1 and 1 (overlapping ids)", slug, u.ID, id)
		}
	}
	for slug, h := range handles {
		authors, err := db.Queries(h).AuthorList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(authors) != 1 || authors[0].Name != "author of "+slug {
			t.Errorf("%s sees authors %+v", slug, authors)
		}
		for other := range handles {
			_, err := auth.New(h).Authenticate(ctx, "alice", "correct horse "+other+" battery staple")
			if (other == slug) != (err == nil) {
				t.Errorf("alice of %s with %s's password on %s: %v", other, other, slug, err)
			}
		}
	}

	// Lookups, domains.
	if tn, err := reg.TenantBySlug(ctx, "acme"); err != nil || tn.Slug != "acme" {
		t.Errorf("TenantBySlug: %v %v", tn, err)
	}
	if _, err := reg.TenantBySlug(ctx, "nobody"); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("unknown slug: %v", err)
	}
	if err := reg.AddDomain(ctx, "acme", "Shop.ACME.example."); err != nil {
		t.Fatal(err)
	}
	if err := reg.AddDomain(ctx, "globex-2", "shop.acme.example"); !errors.Is(err, tenancy.ErrExists) {
		t.Errorf("a host twice: %v", err)
	}
	if err := reg.AddDomain(ctx, "acme", "../etc"); !errors.Is(err, tenancy.ErrInvalid) {
		t.Errorf("bad host: %v", err)
	}
	if err := reg.AddDomain(ctx, "nobody", "x.example"); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("domain of nobody: %v", err)
	}
	if tn, err := reg.TenantByHost(ctx, "shop.acme.example"); err != nil || tn.Slug != "acme" {
		t.Errorf("TenantByHost: %v %v", tn, err)
	}
	if hosts, err := reg.Domains(ctx, "acme"); err != nil || len(hosts) != 1 || hosts[0] != "shop.acme.example" {
		t.Errorf("Domains: %v %v", hosts, err)
	}
	if err := reg.RemoveDomain(ctx, "globex-2", "shop.acme.example"); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("removing another tenant's host: %v", err)
	}

	// Suspend and resume.
	g := generation(t, reg)
	if err := reg.SetStatus(ctx, "acme", tenancy.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if generation(t, reg) <= g {
		t.Errorf("SetStatus did not move the generation on")
	}
	if _, err := reg.TenantBySlug(ctx, "acme"); !errors.Is(err, tenancy.ErrSuspended) {
		t.Errorf("suspended by slug: %v", err)
	}
	if _, err := reg.TenantByHost(ctx, "shop.acme.example"); !errors.Is(err, tenancy.ErrSuspended) {
		t.Errorf("suspended by host: %v", err)
	}
	if tn, err := reg.Show(ctx, "acme"); err != nil || tn.Status != tenancy.StatusSuspended {
		t.Errorf("Show suspended: %v %v", tn, err)
	}
	if err := reg.SetStatus(ctx, "acme", "frozen"); !errors.Is(err, tenancy.ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
	if err := reg.SetStatus(ctx, "acme", tenancy.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.TenantBySlug(ctx, "acme"); err != nil {
		t.Errorf("resumed: %v", err)
	}

	// Migrations: nothing pending, every tenant reported.
	var mu sync.Mutex
	reported := map[string]error{}
	if err := reg.MigrateAll(ctx, 2, func(slug string, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported[slug] = err
	}); err != nil {
		t.Errorf("MigrateAll: %v", err)
	}
	if len(reported) != 2 || reported["acme"] != nil || reported["globex-2"] != nil {
		t.Errorf("MigrateAll reported %v", reported)
	}

	// Delete with the data: the database and the domains go.
	acme, _ := reg.Show(ctx, "acme")
	handles["acme"].DB.Close()
	if err := reg.Delete(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	if tenantDataExists(t, tdb, acme) {
		t.Errorf("acme's database survived Delete")
	}
	if _, err := reg.Show(ctx, "acme"); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("deleted acme: %v", err)
	}
	if _, err := reg.TenantByHost(ctx, "shop.acme.example"); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("deleted acme's host: %v", err)
	}
	if err := reg.Delete(ctx, "acme", true); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("Delete twice: %v", err)
	}
	if ts, err := reg.List(ctx); err != nil || len(ts) != 1 || ts[0].Slug != "globex-2" {
		t.Errorf("List after Delete: %v %v", ts, err)
	}
	// globex's data is untouched.
	if n, err := db.Queries(handles["globex-2"]).PostCount(ctx); err != nil || n != 0 {
		t.Errorf("globex after acme's deletion: %d %v", n, err)
	}
}

// TestRegistryCreateFailure: a migration that fails part-way leaves no
// tenant behind, neither row nor database, and the slug can be used again.
func TestRegistryCreateFailure(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, tdb *dbtest.DB) {
		ctx := context.Background()
		broken := true
		app := func(dialects.Name) (fs.FS, error) {
			files := fstest.MapFS{"00001_ok.sql": {Data: []byte("-- +goose Up\nCREATE TABLE ok_t (id INTEGER);\n-- +goose Down\nDROP TABLE ok_t;\n")}}
			if broken {
				files["00002_bad.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE bad_t (id INTEGER NOT VALID SQL);\n")}
			}
			return files, nil
		}
		reg, prefix := newRegistry(t, tdb, app)
		_, err := reg.Create(ctx, tenancy.CreateParams{Slug: "fails"})
		if err == nil || !strings.Contains(err.Error(), "00002_bad.sql") {
			t.Fatalf("Create with a broken migration: %v", err)
		}
		if ts, err := reg.List(ctx); err != nil || len(ts) != 0 {
			t.Errorf("after a failed Create: %v %v", ts, err)
		}
		var where string
		if tdb.Name == dialects.SQLite {
			entries, _ := os.ReadDir(reg.SQLiteDir())
			if len(entries) != 0 {
				t.Errorf("files left: %v", entries)
			}
			where = "sqlite:" + reg.SQLiteDir() + "/fails.db"
		} else {
			u, _ := tdb.Parsed.WithDatabase(prefix + "fails")
			where = u.Raw
		}
		if dataExists(t, tdb, where) {
			t.Errorf("a failed Create left its database %s", dialects.Redact(where))
		}
		broken = false
		if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "fails"}); err != nil {
			t.Errorf("Create again: %v", err)
		}
	})
}

// TestRegistryRefusals: modes a dialect cannot have, bad names, and
// databases that must not be used.
func TestRegistryRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := dbtest.New(t, dialects.SQLite)
	reg, _ := newRegistry(t, tdb, nil)
	for _, tt := range []struct {
		p    tenancy.CreateParams
		want error
		msg  string
	}{
		{tenancy.CreateParams{Slug: "acme", Mode: tenancy.ModeSchema}, tenancy.ErrUnsupported, "needs a database with named schemas"},
		{tenancy.CreateParams{Slug: "acme", Mode: "rows"}, tenancy.ErrInvalid, `mode "rows"`},
		{tenancy.CreateParams{Slug: "Acme"}, tenancy.ErrInvalid, "lower-case"},
		{tenancy.CreateParams{Slug: "admin"}, tenancy.ErrInvalid, "reserved"},
		{tenancy.CreateParams{Slug: "acme", Name: "bad\x00name"}, tenancy.ErrInvalid, "name"},
		{tenancy.CreateParams{Slug: "acme", DatabaseURL: "sqlite::memory:"}, tenancy.ErrInvalid, "in-memory"},
		{tenancy.CreateParams{Slug: "acme", DatabaseURL: "oracle://x/y"}, tenancy.ErrInvalid, "oracle"},
		{tenancy.CreateParams{Slug: "acme", DatabaseURL: tdb.URL}, tenancy.ErrExists, "exists"},
	} {
		_, err := reg.Create(ctx, tt.p)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Create(%+v): %v, want %v with %q", tt.p, err, tt.want, tt.msg)
		}
	}
	if ts, _ := reg.List(ctx); len(ts) != 0 {
		t.Errorf("refused creations left %v", ts)
	}
	// The registry's own SQLite file is still there and fine.
	if _, err := reg.Generation(ctx); err != nil {
		t.Error(err)
	}
}

// TestValidateSlugAndHost is the validation corpus.
func TestValidateSlugAndHost(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a", "acme", "acme-corp", "a1", "0day", strings.Repeat("x", 63)} {
		if err := tenancy.ValidateSlug(s); err != nil {
			t.Errorf("ValidateSlug(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "Acme", "ACME", "acme_corp", "-acme", "acme-", "../etc", "..", "a/b", `a\b`, "a.b",
		"acmé", "аcme" /* Cyrillic а */, "acme\x00", " acme", "acme ", strings.Repeat("x", 64),
		"www", "admin", "api", "t", "static", "%2e%2e"} {
		if err := tenancy.ValidateSlug(s); !errors.Is(err, tenancy.ErrInvalid) {
			t.Errorf("ValidateSlug(%q): %v, want ErrInvalid", s, err)
		}
	}
	for in, want := range map[string]string{"Shop.Example.COM": "shop.example.com", "acme.localhost.": "acme.localhost",
		"xn--bcher-kva.example": "xn--bcher-kva.example", "localhost": "localhost"} {
		if got, err := tenancy.ValidateHost(in); err != nil || got != want {
			t.Errorf("ValidateHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, h := range []string{"", "shop.example.com:8080", "../etc", "a..b", ".example", "bücher.example", "exa mple.com",
		"127.0.0.1", "[::1]", "-a.example", "a-.example", "a_b.example", "a/b.example", strings.Repeat("a", 64) + ".example",
		strings.Repeat("a.", 127) + "com", "example.com\x00"} {
		if _, err := tenancy.ValidateHost(h); !errors.Is(err, tenancy.ErrInvalid) {
			t.Errorf("ValidateHost(%q): %v, want ErrInvalid", h, err)
		}
	}
}

// TestRegistryTenantOnAnotherServer: a registry on SQLite puts tenants on
// a PostgreSQL and a MySQL server named by their DatabaseURL, creating and
// dropping the databases through the server's maintenance database.
func TestRegistryTenantOnAnotherServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, prefix := newRegistry(t, dbtest.New(t, dialects.SQLite), nil)
	for _, name := range []dialects.Name{dialects.Postgres, dialects.MySQL} {
		server := dbtest.New(t, name)
		target, err := server.Parsed.WithDatabase(prefix + "far_" + string(name))
		if err != nil {
			t.Fatal(err)
		}
		slug := "far-" + string(name)
		tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug, DatabaseURL: target.Raw})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tn.DatabaseURL != target.Raw || !dataExists(t, server, target.Raw) {
			t.Fatalf("%s: tenant at %s", name, dialects.Redact(tn.DatabaseURL))
		}
		h, err := reg.Open(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Queries(h).AuthorCreate(ctx, db.AuthorCreateParams{Name: "far", Email: "far@example.com", Bio: ""}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		h.DB.Close()
		if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: slug + "-again", DatabaseURL: target.Raw}); !errors.Is(err, tenancy.ErrExists) {
			t.Errorf("%s: a second tenant in the same database: %v", name, err)
		}
		if err := reg.Delete(ctx, slug, true); err != nil {
			t.Fatal(err)
		}
		if dataExists(t, server, target.Raw) {
			t.Errorf("%s: the database survived Delete", name)
		}
	}
}

// TestRegistrySQLiteDirAbsolute: a relative SQLiteDir (the default too) is
// taken from the working directory at NewRegistry and tenants' URLs hold
// the absolute path, so that a process running elsewhere — the server
// after the CLI created the tenant — opens the same file. Not parallel:
// it changes the working directory.
func TestRegistrySQLiteDirAbsolute(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t, dialects.SQLite)
	t.Chdir(t.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tenancy.NewRegistry(tdb.Database(), tenancy.RegistryOptions{}).SQLiteDir(), filepath.Join(wd, "var", "tenants"); got != want {
		t.Errorf("default SQLiteDir = %q, want %q", got, want)
	}
	reg := tenancy.NewRegistry(tdb.Database(), tenancy.RegistryOptions{SQLiteDir: "tenants", AppMigrations: blogmigrations.For})
	if got, want := reg.SQLiteDir(), filepath.Join(wd, "tenants"); got != want {
		t.Errorf("SQLiteDir = %q, want %q", got, want)
	}
	if err := reg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn, err := reg.Create(ctx, tenancy.CreateParams{Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reg.Delete(context.Background(), "acme", true); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	u, err := dialects.ParseURL(tn.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(wd, "tenants", "acme.db"); u.Database != want {
		t.Errorf("the tenant's URL %s names %q, want %q", tn.DatabaseURL, u.Database, want)
	}

	// From another directory, the tenant's URL finds its migrated file
	// (a relative one would open a new, empty database there).
	elsewhere := t.TempDir()
	t.Chdir(elsewhere)
	h, err := reg.Open(ctx, tn)
	if err != nil {
		t.Fatal(err)
	}
	defer h.DB.Close()
	if _, err := db.Queries(h).PostCount(ctx); err != nil {
		t.Errorf("the tenant's database, opened from another directory: %v", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("opening the tenant from another directory made %v there", entries)
	}
}
