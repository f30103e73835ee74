package tenancy

import (
	"net/http"

	"github.com/quarry-go/quarry/admin"
)

// RegistryTables returns the names of the registry's tables in the main
// database. The admin never shows them (its defaults hide them; pass them
// to admin.Options.ExcludeTables as well to say so): they belong to the
// operator side, and a write that bypassed the Registry would not
// invalidate the lookup caches.
func RegistryTables() []string {
	return []string{"quarry_tenants", "quarry_tenant_domains", "quarry_tenancy_generation", "quarry_tenancy_grant_nonces", MigrationsTable}
}

// AdminBranding returns an admin.Options.Branding that brands the admin of
// a tenant from the registry: titled with the tenant's display name
// (escaped by the admin's templates), with the tenant's logo and accent
// colour (Registry.SetBranding, `quarry tenant brand`) where set and
// def's where not; outside a tenant (the apex) it returns def.
func AdminBranding(def admin.Branding) func(*http.Request) admin.Branding {
	return func(r *http.Request) admin.Branding {
		b := def
		if t := From(r.Context()); t != nil {
			if t.Name != "" {
				b.Title = t.Name
			}
			if t.LogoURL != "" {
				b.LogoURL = t.LogoURL
			}
			if t.Accent != "" {
				b.Accent = t.Accent
			}
		}
		return b
	}
}
