package tenancy

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/textinput"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tenancy/registrydb"
	_ "github.com/quarry-go/quarry/tenancy/registrydb/mysql"    // the registry runs on every dialect
	_ "github.com/quarry-go/quarry/tenancy/registrydb/postgres" // the registry runs on every dialect
	_ "github.com/quarry-go/quarry/tenancy/registrydb/sqlite"   // the registry runs on every dialect
)

// The registry's migrations, one directory per dialect, written by
// `quarry makemigrations` from sql/<dialect>/schema.sql (see the Makefile).
//
//go:embed migrations/postgres/*.sql migrations/mysql/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// MigrationsTable is the goose version table of the registry's own
// migrations, beside the framework's (quarry_migrations) and the app's.
const MigrationsTable = "quarry_tenancy_migrations"

// MigrationSet names the registry's migrations in results and errors.
const MigrationSet migrate.Set = "tenancy"

// DefaultSQLiteDir is where SQLite tenants' files go unless
// RegistryOptions.SQLiteDir says otherwise.
const DefaultSQLiteDir = "./var/tenants"

// DefaultDatabasePrefix starts the name of the database Create makes for a
// tenant on a PostgreSQL or MySQL server: quarry_t_<slug>, hyphens turned
// into underscores.
const DefaultDatabasePrefix = "quarry_t_"

// RegistryOptions configures a [Registry].
type RegistryOptions struct {
	// SQLiteDir is the directory of SQLite tenants' files, <SQLiteDir>/<slug>.db.
	// Default DefaultSQLiteDir. A relative directory is taken from the
	// working directory when NewRegistry is called, and tenants' URLs hold
	// its absolute path.
	SQLiteDir string
	// DatabasePrefix starts the names of the databases Create makes on a
	// server, and of the schemas it makes for ModeSchema tenants (default
	// DefaultDatabasePrefix). Two apps sharing a database server need
	// different prefixes.
	DatabasePrefix string
	// RLSRole is the role ModeRLS tenants' connections become (default
	// DefaultRLSRole), created by Create when missing: NOLOGIN,
	// NOSUPERUSER, NOBYPASSRLS, granted to the registry's user. The
	// app's tenant-scoped tables grant it their privileges
	// (RLSStatements).
	RLSRole string
	// AppMigrations returns the app's migrations for a dialect, applied to
	// every tenant after the framework's (nil: the framework's only).
	AppMigrations func(dialects.Name) (fs.FS, error)
	// Logger receives a line per tenant created, deleted or migrated, and
	// per migration applied. Database URLs are logged redacted. Default:
	// discard.
	Logger *slog.Logger
}

// Registry is the list of tenants, kept in the main database, and what
// provisions, migrates, opens and deletes their databases. It implements
// [Lookup]. It is safe for concurrent use.
type Registry struct {
	db   *framework.Database
	opts RegistryOptions
	log  *slog.Logger
}

var _ Lookup = (*Registry)(nil)

// NewRegistry returns the registry kept in db (the main database; db.URL
// must be set, as framework.OpenDatabase and the App do). Call Migrate
// once to create its tables. A relative opts.SQLiteDir is made absolute
// against the working directory now, and SQLite tenants' URLs are
// written with the absolute path.
func NewRegistry(db *framework.Database, opts RegistryOptions) *Registry {
	if opts.SQLiteDir == "" {
		opts.SQLiteDir = DefaultSQLiteDir
	}
	// Tenants' URLs hold the absolute path, so that the CLI and the server
	// find the files from whatever directory they run in.
	if abs, err := filepath.Abs(opts.SQLiteDir); err == nil {
		opts.SQLiteDir = abs
	}
	if opts.DatabasePrefix == "" {
		opts.DatabasePrefix = DefaultDatabasePrefix
	}
	if opts.RLSRole == "" {
		opts.RLSRole = DefaultRLSRole
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{db: db, opts: opts, log: log}
}

// SQLiteDir is the directory SQLite tenants' files go to, absolute.
func (r *Registry) SQLiteDir() string { return r.opts.SQLiteDir }

// Migrate creates or updates the registry's tables in the main database
// (goose version table MigrationsTable).
func (r *Registry) Migrate(ctx context.Context) error {
	if r.db == nil || r.db.URL == nil {
		return errors.New("tenancy: the registry's database has no URL: open it with framework.OpenDatabase")
	}
	fsys, err := fs.Sub(migrationFiles, "migrations/"+string(r.db.Dialect.Name()))
	if err != nil {
		return fmt.Errorf("tenancy: registry migrations for %s: %w", r.db.Dialect.Name(), err)
	}
	if _, err := migrate.UpSet(ctx, r.db, MigrationSet, MigrationsTable, fsys, r.log); err != nil {
		return fmt.Errorf("tenancy: %w", err)
	}
	return nil
}

// reserved slugs name the apex's own subdomains and path segments.
var reserved = map[string]bool{
	"www": true, "admin": true, "api": true, "app": true, "static": true, "assets": true,
	"media": true, "mail": true, "smtp": true, "ftp": true, "ns1": true, "ns2": true,
	"t": true, "operator": true, "operators": true, "console": true, "status": true,
	"healthz": true, "readyz": true, "login": true, "logout": true, "auth": true,
	"localhost": true, "quarry": true, "root": true, "system": true, "tenant": true, "tenants": true,
}

// ValidateSlug reports whether s can be a tenant's slug: 1 to 63
// lower-case ASCII letters, digits and hyphens, not starting or ending with
// a hyphen (a DNS label, so it works as a subdomain and a path segment),
// and not a reserved name (www, admin, api, …). The error wraps ErrInvalid.
func ValidateSlug(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: the slug is empty", ErrInvalid)
	case len(s) > 63:
		return fmt.Errorf("%w: slug of %d bytes: at most 63", ErrInvalid, len(s))
	case !isLabel(s):
		return fmt.Errorf("%w: slug %q: use lower-case letters a-z, digits and hyphens, not at either end", ErrInvalid, s)
	case reserved[s]:
		return fmt.Errorf("%w: slug %q is reserved", ErrInvalid, s)
	}
	return nil
}

// ValidateHost checks a host name for AddDomain and returns it lower-cased,
// without a trailing dot: ASCII labels of letters, digits and hyphens (an
// internationalised name in its xn-- form), at most 253 bytes, no port, no
// IP address. The error wraps ErrInvalid.
func ValidateHost(h string) (string, error) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", fmt.Errorf("%w: host %q: want a name of 1 to 253 bytes", ErrInvalid, h)
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !isLabel(l) {
			return "", fmt.Errorf("%w: host %q: each dot-separated part must be 1 to 63 letters a-z, digits or hyphens (no port; an internationalised name in its xn-- form)", ErrInvalid, h)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("%w: host %q looks like an IP address: register a name", ErrInvalid, h)
	}
	return h, nil
}

// CreateParams describes a tenant to create.
type CreateParams struct {
	Slug string
	// Name is the display name (default: the slug).
	Name string
	// Mode defaults to ModeDatabase. ModeSchema needs a database with
	// named schemas (PostgreSQL).
	Mode Mode
	// DatabaseURL, for ModeDatabase, is where the tenant's database is to
	// be created: a database on another server than the registry's
	// (postgres://…/name, mysql://…/name, whose user may CREATE DATABASE),
	// or a SQLite file (sqlite:path). Empty: a database named
	// <DatabasePrefix><slug> on the registry's server, or
	// <SQLiteDir>/<slug>.db when the registry is on SQLite. The database
	// must not exist yet.
	//
	// For ModeSchema it names the existing PostgreSQL database the
	// tenant's schema, <DatabasePrefix><slug>, is to be created in (whose
	// user may CREATE SCHEMA there); empty: the registry's own database.
	// The schema must not exist yet.
	//
	// For ModeRLS it names the PostgreSQL database whose shared tables
	// hold the tenant's rows; empty: the registry's own database.
	DatabaseURL string
}

// Create registers and provisions a tenant: it reserves the slug with a
// registry row of status "provisioning", creates the tenant's database
// (ModeSchema: its schema), applies the framework's and the app's
// migrations to it, and marks it active. When any step fails, Create
// undoes the others — it drops the database or schema (CASCADE) it
// created (or removes the SQLite file) and deletes the row —
// so a failed Create leaves no tenant behind, and the error says what
// failed (and what could not be undone, if anything). Only a process
// killed part-way leaves a "provisioning" row, which no lookup returns and
// Delete(ctx, slug, true) removes with its database.
func (r *Registry) Create(ctx context.Context, p CreateParams) (*Tenant, error) {
	if err := ValidateSlug(p.Slug); err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = p.Slug
	}
	if err := textinput.Check("name", p.Name, 200); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if p.Mode == "" {
		p.Mode = ModeDatabase
	}
	var (
		target *dialects.URL
		schema string // ModeSchema: the tenant's schema in target
		err    error
	)
	switch p.Mode {
	case ModeDatabase:
		target, err = r.targetURL(p)
	case ModeSchema:
		target, schema, err = r.schemaTarget(p)
	case ModeRLS:
		if target, err = r.rlsTarget(p); err == nil {
			schema, err = r.tenantSchema(target, p.Slug) // its framework tables
		}
	default:
		return nil, fmt.Errorf("%w: mode %q (want %q, %q or %q)", ErrInvalid, p.Mode, ModeDatabase, ModeSchema, ModeRLS)
	}
	if err != nil {
		return nil, err
	}

	var id int64
	err = r.write(ctx, func(q registrydb.Querier) error {
		var err error
		id, err = q.TenantCreate(ctx, registrydb.TenantCreateParams{Slug: p.Slug, Name: p.Name, Mode: string(p.Mode),
			DatabaseUrl: target.Raw, SchemaName: schema, Status: string(StatusProvisioning)})
		return err
	})
	if errors.Is(err, queries.ErrUniqueViolation) {
		return nil, fmt.Errorf("%w: a tenant %q exists", ErrExists, p.Slug)
	}
	if err != nil {
		return nil, fmt.Errorf("tenancy: register %s: %w", p.Slug, err)
	}
	r.log.Info("tenant provisioning", "slug", p.Slug, "database", target.String(), "schema", schema)

	var created bool
	if p.Mode == ModeRLS {
		// Its rows go into the app's shared tables, migrated with their
		// database; its framework tables (users, sessions, jobs, …) into
		// a schema of its own, which its connections' role may use.
		if err = r.ensureRLSRole(ctx, target); err == nil {
			created, err = r.provisionRLS(ctx, p.Slug, target, schema)
		}
	} else {
		created, err = r.provision(ctx, p.Slug, target, schema)
	}
	if err == nil {
		err = r.write(ctx, func(q registrydb.Querier) error {
			_, err := q.TenantSetStatus(ctx, registrydb.TenantSetStatusParams{Slug: p.Slug, Status: string(StatusActive)})
			return err
		})
	}
	if err != nil {
		// Undo with a context of its own: ctx may be what was cancelled.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		var undo []error
		if created {
			if derr := r.dropData(cctx, target, schema); derr != nil {
				undo = append(undo, fmt.Errorf("drop its %s: %w", dataName(target, schema), derr))
			}
		}
		if derr := r.write(cctx, func(q registrydb.Querier) error {
			_, err := q.TenantDelete(cctx, p.Slug)
			return err
		}); derr != nil {
			undo = append(undo, fmt.Errorf("delete its registry row: %w", derr))
		}
		r.log.Warn("tenant creation failed", "slug", p.Slug, "err", err)
		if len(undo) > 0 {
			return nil, fmt.Errorf("tenancy: create %s: %w (and could not undo it: %w)", p.Slug, err, errors.Join(undo...))
		}
		return nil, fmt.Errorf("tenancy: create %s: %w", p.Slug, err)
	}
	r.log.Info("tenant created", "slug", p.Slug, "id", id)
	return r.tenantBySlug(ctx, p.Slug)
}

// targetURL is where the tenant's database is to be made.
func (r *Registry) targetURL(p CreateParams) (*dialects.URL, error) {
	var target *dialects.URL
	var err error
	switch {
	case p.DatabaseURL != "":
		if target, err = dialects.ParseURL(p.DatabaseURL); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if target.Memory {
			return nil, fmt.Errorf("%w: an in-memory SQLite database ends with its pool: give the tenant a file", ErrInvalid)
		}
	case r.db.Dialect.Capabilities().ServerDatabases:
		name := r.opts.DatabasePrefix + strings.ReplaceAll(p.Slug, "-", "_")
		if target, err = r.db.URL.WithDatabase(name); err != nil {
			return nil, fmt.Errorf("tenancy: %w", err)
		}
	default:
		path := filepath.Join(r.opts.SQLiteDir, p.Slug+".db")
		if !filepath.IsAbs(path) {
			path = "./" + path
		}
		if target, err = dialects.ParseURL("sqlite:" + filepath.ToSlash(path)); err != nil {
			return nil, fmt.Errorf("tenancy: %w", err)
		}
	}
	if target.Dialect.Capabilities().ServerDatabases {
		if err := dialects.ValidateDatabaseName(target.Database); err != nil {
			return nil, fmt.Errorf("%w: %w (a shorter slug, or a DatabaseURL naming one)", ErrInvalid, err)
		}
		if sameServer(r.db.URL, target) && target.Database == r.db.URL.Database {
			return nil, fmt.Errorf("%w: the tenant's database would be the registry's own", ErrInvalid)
		}
	}
	return target, nil
}

// schemaTarget is the database a ModeSchema tenant's schema is to be
// made in, and the schema's name.
func (r *Registry) schemaTarget(p CreateParams) (*dialects.URL, string, error) {
	target := r.db.URL
	on := "the registry is on"
	if p.DatabaseURL != "" {
		var err error
		if target, err = dialects.ParseURL(p.DatabaseURL); err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		on = "the database URL is for"
	}
	if _, ok := target.Dialect.(dialects.Schemas); !ok || !target.Dialect.Capabilities().Schemas {
		return nil, "", fmt.Errorf("%w: schema per tenant needs a database with named schemas, as PostgreSQL has; %s %s: use mode %q",
			ErrUnsupported, on, target.Dialect.ProductName(), ModeDatabase)
	}
	schema, err := r.tenantSchema(target, p.Slug)
	if err != nil {
		return nil, "", err
	}
	return target, schema, nil
}

// tenantSchema is the name of the schema of the tenant with slug in the
// database at target (which has schemas): <DatabasePrefix><slug>, hyphens
// turned into underscores. A ModeSchema tenant's data lives there, a
// ModeRLS tenant's framework tables.
func (r *Registry) tenantSchema(target *dialects.URL, slug string) (string, error) {
	schema := r.opts.DatabasePrefix + strings.ReplaceAll(slug, "-", "_")
	if err := dialects.ValidateSchemaName(schema); err != nil {
		return "", fmt.Errorf("%w: %w (a shorter slug, or another DatabasePrefix)", ErrInvalid, err)
	}
	if _, err := target.Dialect.(dialects.Schemas).SchemaURL(target, schema); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return schema, nil
}

// dataName names a tenant's data for errors: its database, or its schema in
// a database.
func dataName(target *dialects.URL, schema string) string {
	if schema != "" {
		return fmt.Sprintf("schema %s in %s", schema, target)
	}
	return "database " + target.String()
}

// provision creates the tenant's database (or, with a schema, the schema
// in the database at target) and migrates it. created says whether the
// database or schema was made (and so must be dropped on failure).
func (r *Registry) provision(ctx context.Context, slug string, target *dialects.URL, schema string) (created bool, err error) {
	if schema != "" {
		if err := r.createSchema(ctx, target, schema); err != nil {
			return false, fmt.Errorf("create its %s: %w", dataName(target, schema), err)
		}
		pinned, err := target.Dialect.(dialects.Schemas).SchemaURL(target, schema)
		if err != nil {
			return true, err
		}
		// The pool's connections see the schema alone, so goose's version
		// and lock tables and every unqualified CREATE land in it.
		return true, r.migrateURL(ctx, slug, pinned, true)
	}
	if err := r.createData(ctx, target); err != nil {
		return false, fmt.Errorf("create its database %s: %w", target, err)
	}
	return true, r.migrateURL(ctx, slug, target, true)
}

// createSchema creates the schema in the database at target, which must
// not have it.
func (r *Registry) createSchema(ctx context.Context, target *dialects.URL, schema string) error {
	sd := target.Dialect.(dialects.Schemas)
	return r.onDatabase(ctx, target, func(db *sql.DB) error {
		exists, err := sd.SchemaExists(ctx, db, schema)
		if err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%w: the schema %s exists", ErrExists, schema)
		}
		return sd.CreateSchema(ctx, db, schema)
	})
}

// onDatabase runs fn with a pool on the database at target: the
// registry's own when it is that database, else a short-lived one.
func (r *Registry) onDatabase(ctx context.Context, target *dialects.URL, fn func(*sql.DB) error) error {
	if sameServer(r.db.URL, target) && target.Database == r.db.URL.Database {
		return fn(r.db.DB)
	}
	db, err := dialects.OpenURL(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// createData creates the database at target, which must not exist.
func (r *Registry) createData(ctx context.Context, target *dialects.URL) error {
	if !target.Dialect.Capabilities().ServerDatabases {
		if _, err := os.Stat(target.Database); err == nil {
			return fmt.Errorf("%w: the file %s exists", ErrExists, target.Database)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target.Database), 0o750); err != nil {
			return err
		}
		return nil // the first connection creates the file
	}
	d := target.Dialect
	return r.onServer(ctx, target, func(admin *sql.DB) error {
		exists, err := d.DatabaseExists(ctx, admin, target.Database)
		if err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%w: the database %s exists", ErrExists, target.Database)
		}
		return d.CreateDatabase(ctx, admin, target.Database)
	})
}

// dropData drops the database at target (removes a SQLite file and its
// journal files), if it exists; with a schema, it drops that schema of
// the database at target, CASCADE, if it exists.
func (r *Registry) dropData(ctx context.Context, target *dialects.URL, schema string) error {
	if schema != "" {
		sd, ok := target.Dialect.(dialects.Schemas)
		if !ok {
			return fmt.Errorf("%w: %s has no schemas", ErrUnsupported, target.Dialect.ProductName())
		}
		return r.onDatabase(ctx, target, func(db *sql.DB) error {
			return sd.DropSchema(ctx, db, schema)
		})
	}
	if !target.Dialect.Capabilities().ServerDatabases {
		var errs []error
		for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".migrate.lock"} {
			if err := os.Remove(target.Database + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return r.onServer(ctx, target, func(admin *sql.DB) error {
		return target.Dialect.DropDatabase(ctx, admin, target.Database)
	})
}

// onServer runs fn with a pool on target's server: the registry's own when
// target is on the same server, else a short-lived one on the server's
// maintenance database (Dialect.MaintenanceURL).
func (r *Registry) onServer(ctx context.Context, target *dialects.URL, fn func(*sql.DB) error) error {
	if sameServer(r.db.URL, target) {
		return fn(r.db.DB)
	}
	u, err := target.Dialect.MaintenanceURL(target)
	if err != nil {
		return err
	}
	admin, err := dialects.OpenURL(ctx, u)
	if err != nil {
		return err
	}
	defer admin.Close()
	return fn(admin)
}

// sameServer reports whether a and b are databases of one server reached
// as one user.
func sameServer(a, b *dialects.URL) bool {
	if a == nil || b == nil || a.Dialect.Name() != b.Dialect.Name() || !a.Dialect.Capabilities().ServerDatabases {
		return false
	}
	pa, err1 := url.Parse(a.Raw)
	pb, err2 := url.Parse(b.Raw)
	return err1 == nil && err2 == nil && pa.Host == pb.Host && pa.User.String() == pb.User.String()
}

// migrateURL applies the framework's migrations and, withApp, the app's
// to the database at u.
func (r *Registry) migrateURL(ctx context.Context, slug string, u *dialects.URL, withApp bool) error {
	var appFS fs.FS
	if withApp && r.opts.AppMigrations != nil {
		var err error
		if appFS, err = r.opts.AppMigrations(u.Dialect.Name()); err != nil {
			return fmt.Errorf("the app's migrations for %s: %w", u.Dialect.Name(), err)
		}
	}
	db, err := framework.OpenDatabase(ctx, u.Raw)
	if err != nil {
		return err
	}
	defer db.DB.Close()
	m, err := migrate.New(db, migrate.Options{AppFS: appFS, Logger: r.log.With("tenant", slug)})
	if err != nil {
		return err
	}
	_, err = m.Up(ctx)
	return err
}

// write runs fn on the registry in a transaction that also bumps the
// generation.
func (r *Registry) write(ctx context.Context, fn func(registrydb.Querier) error) error {
	return r.db.InTx(ctx, nil, func(tx *framework.Tx) error {
		q := registrydb.Queries(tx)
		if err := fn(q); err != nil {
			return err
		}
		return q.GenerationBump(ctx)
	})
}

func toTenant(row registrydb.QuarryTenant) *Tenant {
	return &Tenant{ID: row.ID, Slug: row.Slug, Name: row.Name, Mode: Mode(row.Mode), DatabaseURL: row.DatabaseUrl,
		Schema: row.SchemaName, Status: Status(row.Status), LogoURL: row.LogoUrl, Accent: row.Accent,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
}

// tenantBySlug returns the tenant whatever its status.
func (r *Registry) tenantBySlug(ctx context.Context, slug string) (*Tenant, error) {
	row, err := registrydb.Queries(r.db).TenantBySlug(ctx, slug)
	if errors.Is(err, queries.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrNoTenant, slug)
	}
	if err != nil {
		return nil, fmt.Errorf("tenancy: tenant %q: %w", slug, err)
	}
	return toTenant(row), nil
}

// TenantBySlug returns the active tenant with slug, for the resolvers, or
// an error wrapping ErrNoTenant (no such tenant, or one still being
// created) or ErrSuspended. Operators see every tenant through Show and
// List.
func (r *Registry) TenantBySlug(ctx context.Context, slug string) (*Tenant, error) {
	t, err := r.tenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	return servable(t, "")
}

// TenantByHost returns the active tenant a custom domain (lower case, no
// port) is registered to, or an error wrapping ErrNoTenant or ErrSuspended.
func (r *Registry) TenantByHost(ctx context.Context, host string) (*Tenant, error) {
	row, err := registrydb.Queries(r.db).TenantByHost(ctx, host)
	if errors.Is(err, queries.ErrNotFound) {
		return nil, fmt.Errorf("%w: host %q", ErrNoTenant, host)
	}
	if err != nil {
		return nil, fmt.Errorf("tenancy: tenant of host %q: %w", host, err)
	}
	return servable(toTenant(row), host)
}

// servable returns t when it is active, else the error a resolver answers.
func servable(t *Tenant, host string) (*Tenant, error) {
	by := fmt.Sprintf("%q", t.Slug)
	if host != "" {
		by = fmt.Sprintf("%q (host %q)", t.Slug, host)
	}
	switch t.Status {
	case StatusActive:
		return t, nil
	case StatusSuspended:
		return nil, fmt.Errorf("%w: %s", ErrSuspended, by)
	}
	return nil, fmt.Errorf("%w: %s is %s", ErrNoTenant, by, t.Status)
}

// Show returns the tenant with slug whatever its status (a tenant left
// "provisioning" by a killed Create included), for operators.
func (r *Registry) Show(ctx context.Context, slug string) (*Tenant, error) {
	return r.tenantBySlug(ctx, slug)
}

// List returns every tenant, by slug, whatever its status.
func (r *Registry) List(ctx context.Context) ([]*Tenant, error) {
	rows, err := registrydb.Queries(r.db).TenantList(ctx)
	if err != nil {
		return nil, fmt.Errorf("tenancy: list tenants: %w", err)
	}
	out := make([]*Tenant, len(rows))
	for i, row := range rows {
		out[i] = toTenant(row)
	}
	return out, nil
}

// Domains lists the custom domains registered to the tenant with slug.
func (r *Registry) Domains(ctx context.Context, slug string) ([]string, error) {
	t, err := r.tenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	hosts, err := registrydb.Queries(r.db).DomainList(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("tenancy: domains of %s: %w", slug, err)
	}
	return hosts, nil
}

// SetStatus suspends (StatusSuspended) or resumes (StatusActive) the
// tenant with slug. A suspended tenant is still listed and migrated, but
// the resolvers answer its requests 404.
func (r *Registry) SetStatus(ctx context.Context, slug string, s Status) error {
	if s != StatusActive && s != StatusSuspended {
		return fmt.Errorf("%w: status %q (want %q or %q)", ErrInvalid, s, StatusActive, StatusSuspended)
	}
	t, err := r.tenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	if t.Status == StatusProvisioning {
		return fmt.Errorf("%w: %q was never fully created: delete it", ErrInvalid, slug)
	}
	return r.write(ctx, func(q registrydb.Querier) error {
		_, err := q.TenantSetStatus(ctx, registrydb.TenantSetStatusParams{Slug: slug, Status: string(s)})
		return err
	})
}

// SetBranding sets the logo URL and accent colour of the tenant with slug's
// admin (see AdminBranding); "" clears one, so the app's default applies.
// logoURL must be an https URL with a host or a path starting with a
// single "/" (at most 500 characters), accent exactly "#rrggbb": the
// checks admin.Branding applies, made here so that a bad value is refused
// with the reason rather than silently ignored on every page.
func (r *Registry) SetBranding(ctx context.Context, slug, logoURL, accent string) error {
	if logoURL != "" {
		if err := textinput.Check("the logo URL", logoURL, 500); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if !admin.LogoURLOK(logoURL) {
			return fmt.Errorf("%w: logo URL %q: want an https:// URL with a host, or a path starting with a single /", ErrInvalid, logoURL)
		}
	}
	if accent != "" && !admin.AccentOK(accent) {
		return fmt.Errorf("%w: accent %q: want a colour written #rrggbb (six hex digits)", ErrInvalid, accent)
	}
	return r.write(ctx, func(q registrydb.Querier) error {
		n, err := q.TenantSetBranding(ctx, registrydb.TenantSetBrandingParams{Slug: slug, LogoUrl: logoURL, Accent: strings.ToLower(accent)})
		if err == nil && n == 0 {
			err = fmt.Errorf("%w: %q", ErrNoTenant, slug)
		}
		return err
	})
}

// AddDomain registers host (see ValidateHost) as a custom domain of the
// tenant with slug. A host belongs to one tenant at most: registering it
// again fails with ErrExists.
func (r *Registry) AddDomain(ctx context.Context, slug, host string) error {
	h, err := ValidateHost(host)
	if err != nil {
		return err
	}
	t, err := r.tenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	err = r.write(ctx, func(q registrydb.Querier) error {
		return q.DomainAdd(ctx, registrydb.DomainAddParams{Host: h, TenantID: t.ID})
	})
	if errors.Is(err, queries.ErrUniqueViolation) {
		return fmt.Errorf("%w: host %q is registered already", ErrExists, h)
	}
	if err != nil {
		return fmt.Errorf("tenancy: add domain %s to %s: %w", h, slug, err)
	}
	return nil
}

// RemoveDomain unregisters host from the tenant with slug; an error wraps
// ErrNoTenant when the host is not registered to it.
func (r *Registry) RemoveDomain(ctx context.Context, slug, host string) error {
	h, err := ValidateHost(host)
	if err != nil {
		return err
	}
	t, err := r.tenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	return r.write(ctx, func(q registrydb.Querier) error {
		n, err := q.DomainRemove(ctx, registrydb.DomainRemoveParams{Host: h, TenantID: t.ID})
		if err == nil && n == 0 {
			err = fmt.Errorf("%w: host %q is not registered to %s", ErrNoTenant, h, slug)
		}
		return err
	})
}

// Delete removes the tenant with slug from the registry, with its domains.
// With dropData it first drops the tenant's database (removes its SQLite
// file; ModeSchema: drops its schema, CASCADE; ModeRLS: deletes its rows),
// without archiving it; when that fails the tenant stays registered, so
// Delete can be run again. Without dropData the database is left where it
// is. DeleteTenant archives the data instead of dropping it where the
// database allows (what `quarry tenant delete` does). Pools the caller
// holds on the tenant must be closed by the caller.
func (r *Registry) Delete(ctx context.Context, slug string, dropData bool) error {
	_, err := r.DeleteTenant(ctx, slug, DeleteOptions{KeepData: !dropData, NoArchive: true})
	return err
}

// Open opens a pool on the tenant's database (the caller closes it, or
// hands it to a pool manager that does). A ModeSchema tenant's pool is
// pinned to its schema: every connection's search path is that schema
// alone (see dialects.Schemas.SchemaURL), so an unqualified name never
// reaches another tenant's tables nor public's. It does not check the
// tenant's status.
func (r *Registry) Open(ctx context.Context, t *Tenant) (*framework.Database, error) {
	u, err := r.tenantURL(t)
	if err != nil {
		return nil, fmt.Errorf("tenancy: open %s: %w", t.Slug, err)
	}
	db, err := framework.OpenDatabase(ctx, u.Raw)
	if err != nil {
		return nil, fmt.Errorf("tenancy: open %s: %w", t.Slug, err)
	}
	return db, nil
}

// MigrateTenant applies the framework's and the app's pending migrations
// to the tenant's database; for a ModeRLS tenant, the framework's to its
// schema (the app's shared tables are migrated with their database, by
// quarry migrate).
func (r *Registry) MigrateTenant(ctx context.Context, t *Tenant) error {
	if t.Mode == ModeRLS {
		// Its rows live in the app's shared tables, migrated with their
		// database; its framework tables in its schema.
		if err := r.migrateRLS(ctx, t); err != nil {
			return fmt.Errorf("tenancy: migrate %s: %w", t.Slug, err)
		}
		return nil
	}
	u, err := r.tenantURL(t)
	if err != nil {
		return fmt.Errorf("tenancy: migrate %s: %w", t.Slug, err)
	}
	if err := r.migrateURL(ctx, t.Slug, u, true); err != nil {
		return fmt.Errorf("tenancy: migrate %s: %w", t.Slug, err)
	}
	return nil
}

// tenantURL is the URL the tenant's pools connect with: its database's,
// pinned to its schema for a ModeSchema tenant, to the RLS role and its
// id for a ModeRLS tenant.
func (r *Registry) tenantURL(t *Tenant) (*dialects.URL, error) {
	switch t.Mode {
	case ModeDatabase, ModeSchema, ModeRLS:
	default:
		return nil, fmt.Errorf("%w: a tenant of mode %q", ErrUnsupported, t.Mode)
	}
	u, err := dialects.ParseURL(t.DatabaseURL)
	if err != nil || t.Mode == ModeDatabase {
		return u, err
	}
	if t.Mode == ModeRLS {
		if !u.Dialect.Capabilities().RowSecurity {
			return nil, fmt.Errorf("%w: a tenant of mode %q on %s, which has no row-level security", ErrUnsupported, t.Mode, u.Dialect.ProductName())
		}
		return rlsURL(u, r.opts.RLSRole, t.ID, t.Schema)
	}
	sd, ok := u.Dialect.(dialects.Schemas)
	if !ok || !u.Dialect.Capabilities().Schemas {
		return nil, fmt.Errorf("%w: a tenant of mode %q on %s, which has no schemas", ErrUnsupported, t.Mode, u.Dialect.ProductName())
	}
	return sd.SchemaURL(u, t.Schema)
}

// Generation returns the registry's generation, which every write moves
// on: a cache of lookups compares it to know when to drop what it holds.
func (r *Registry) Generation(ctx context.Context) (int64, error) {
	g, err := registrydb.Queries(r.db).Generation(ctx)
	if errors.Is(err, queries.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("tenancy: generation: %w", err)
	}
	return g, nil
}
