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
	return []string{"quarry_tenants", "quarry_tenant_domains", "quarry_tenancy_generation", MigrationsTable}
}

// AdminBranding returns an admin.Options.Branding that titles the admin
// of a tenant with the tenant's display name (escaped by the admin's
// templates), keeping def's logo and accent colour; outside a tenant (the
// apex) it returns def. The registry holds no logo or colour per tenant
// yet: def's apply to every tenant.
func AdminBranding(def admin.Branding) func(*http.Request) admin.Branding {
	return func(r *http.Request) admin.Branding {
		b := def
		if t := From(r.Context()); t != nil && t.Name != "" {
			b.Title = t.Name
		}
		return b
	}
}
