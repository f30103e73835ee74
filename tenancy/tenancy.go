// Package tenancy serves many organisations ("tenants") from one Quarry
// app, each seeing only its own data, users, sessions, jobs and admin.
//
// A registry in the main database lists the tenants (slug, name, mode,
// where their data lives, status) and the host names that reach them.
// For each request a chain of resolvers (subdomain, custom domain, path
// prefix, header) names the tenant; the middleware then puts the tenant
// and its database handle into the request's context, so that every
// feature that asks framework.DatabaseFrom — the admin, auth, sessions,
// jobs, the app's typed queries — works unchanged inside the tenant.
// An unknown or suspended tenant is answered 404, never served from
// another tenant's data.
package tenancy

import (
	"context"
	"errors"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
)

// Mode says where a tenant's data lives.
type Mode string

// The storage modes.
const (
	// ModeDatabase: a database of its own (PostgreSQL or MySQL database,
	// SQLite file), possibly on another server than the registry's.
	ModeDatabase Mode = "database"
	// ModeSchema: a schema of its own in a PostgreSQL database (the
	// registry's, or the one CreateParams.DatabaseURL names), its pools
	// pinned to that schema alone.
	ModeSchema Mode = "schema"
	// ModeRLS: the app's rows in tables shared with the other ModeRLS
	// tenants of a PostgreSQL database, kept apart by row-level security:
	// its pools' connections become RegistryOptions.RLSRole with
	// quarry.tenant_id set to its id (see RLSStatements). The framework's
	// own tables (users, sessions, jobs, audit log) are its own, in a
	// schema named as a ModeSchema tenant's, first on its search path.
	ModeRLS Mode = "rls"
)

// Status is a tenant's state.
type Status string

// The statuses.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	// StatusProvisioning: the Registry is still creating the tenant's
	// database (or a Create was killed part-way). No lookup returns it.
	StatusProvisioning Status = "provisioning"
)

// Tenant is one organisation served by the app.
type Tenant struct {
	ID   int64
	Slug string // lower-case letters, digits and hyphens; the subdomain and path segment
	Name string // display name
	Mode Mode
	// DatabaseURL is where a ModeDatabase tenant's data lives, or the
	// database that holds a ModeSchema tenant's schema. It may hold a
	// password: never log it, use dialects.Redact.
	DatabaseURL string
	// Schema is a ModeSchema tenant's PostgreSQL schema.
	Schema string
	Status Status
	// LogoURL and Accent brand the tenant's admin (see AdminBranding and
	// Registry.SetBranding): an https URL or a path of the logo, and a
	// "#rrggbb" accent colour; "" for the app's default.
	LogoURL   string
	Accent    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Errors of the registry and the resolvers.
var (
	// ErrNoTenant: no tenant has that slug or host.
	ErrNoTenant = errors.New("tenancy: no such tenant")
	// ErrSuspended: the tenant exists but is suspended.
	ErrSuspended = errors.New("tenancy: tenant suspended")
	// ErrUnsupported: the mode cannot be had on this dialect (the error
	// says why).
	ErrUnsupported = errors.New("tenancy: unsupported")
	// ErrInvalid: a slug, host, name, mode or status the registry refuses
	// (the error says which and why).
	ErrInvalid = errors.New("tenancy: invalid")
	// ErrExists: the slug, host or database is taken already.
	ErrExists = errors.New("tenancy: already exists")
)

// Lookup finds tenants; the Registry implements it, and a cache wraps it.
type Lookup interface {
	// TenantBySlug returns the active tenant with slug, or an error
	// wrapping ErrNoTenant (none, or still being created) or ErrSuspended.
	TenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	// TenantByHost returns the active tenant a custom domain (lower case,
	// no port) is registered to, or an error wrapping ErrNoTenant or
	// ErrSuspended.
	TenantByHost(ctx context.Context, host string) (*Tenant, error)
}

type tenantKey struct{}

// WithTenant returns a context carrying t, whose stored objects go under
// KeyPrefix(t) (framework.KeyPrefix).
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	if t != nil {
		ctx = framework.WithKeyPrefix(ctx, KeyPrefix(t))
	}
	return context.WithValue(ctx, tenantKey{}, t)
}

// KeyPrefix is the prefix of the tenant's object keys on shared disks:
// "tenants/<slug>/".
func KeyPrefix(t *Tenant) string { return "tenants/" + t.Slug + "/" }

// From returns the tenant of the request whose context is ctx, or nil
// outside any tenant (the apex, the operator console).
func From(ctx context.Context) *Tenant {
	t, _ := ctx.Value(tenantKey{}).(*Tenant)
	return t
}

var _ = dialects.Redact // DatabaseURL's doc names it
