package tenancy_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tenancy"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// noAppMigrations gives tenants the framework's migrations only.
func noAppMigrations(dialects.Name) (fs.FS, error) { return nil, nil }

// TestRegistryBranding sets, reads and clears a tenant's logo and accent
// on every dialect, checks that bad values are refused with the reason and
// change nothing, that each write moves the generation on, and that
// AdminBranding applies the tenant's over the default.
func TestRegistryBranding(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, tdb *dbtest.DB) {
		ctx := context.Background()
		reg, _ := newRegistry(t, tdb, noAppMigrations)
		if _, err := reg.Create(ctx, tenancy.CreateParams{Slug: "acme", Name: "Acme"}); err != nil {
			t.Fatal(err)
		}
		g := generation(t, reg)
		if err := reg.SetBranding(ctx, "acme", "https://cdn.example.com/acme.svg", "#2F7D4A"); err != nil {
			t.Fatal(err)
		}
		if generation(t, reg) <= g {
			t.Error("SetBranding did not move the generation on")
		}
		tn, err := reg.Show(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if tn.LogoURL != "https://cdn.example.com/acme.svg" || tn.Accent != "#2f7d4a" {
			t.Errorf("branding read back: %q %q", tn.LogoURL, tn.Accent)
		}

		def := admin.Branding{Title: "Default", LogoURL: "/static/default.svg", Accent: "#000000"}
		req := httptest.NewRequest(http.MethodGet, "/admin/", nil)
		if b := tenancy.AdminBranding(def)(req.WithContext(tenancy.WithTenant(req.Context(), tn))); b != (admin.Branding{Title: "Acme", LogoURL: tn.LogoURL, Accent: tn.Accent}) {
			t.Errorf("tenant's admin branding: %+v", b)
		}
		if b := tenancy.AdminBranding(def)(req); b != def {
			t.Errorf("apex admin branding: %+v", b)
		}

		for _, tt := range []struct{ logo, accent, msg string }{
			{"javascript:alert(1)", "", "logo URL"},
			{"http://cdn.example.com/x.svg", "", "https://"},
			{"//evil.example.com/x.svg", "", "single /"},
			{"/x.svg\x00", "", "logo URL"},
			{"/" + strings.Repeat("a", 500), "", "500"},
			{"", "red", "#rrggbb"},
			{"", "#12345g", "#rrggbb"},
			{"", "#1234567", "#rrggbb"},
			{"", "#fff", "#rrggbb"},
		} {
			err := reg.SetBranding(ctx, "acme", tt.logo, tt.accent)
			if !errors.Is(err, tenancy.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("SetBranding(%q, %q): %v, want ErrInvalid naming %q", tt.logo, tt.accent, err, tt.msg)
			}
		}
		if err := reg.SetBranding(ctx, "nobody", "", ""); !errors.Is(err, tenancy.ErrNoTenant) {
			t.Errorf("unknown tenant: %v", err)
		}
		if tn, _ := reg.Show(ctx, "acme"); tn.LogoURL != "https://cdn.example.com/acme.svg" || tn.Accent != "#2f7d4a" {
			t.Errorf("a refused write changed the branding: %q %q", tn.LogoURL, tn.Accent)
		}

		if err := reg.SetBranding(ctx, "acme", "/media/acme.png", ""); err != nil {
			t.Fatal(err)
		}
		tn, _ = reg.Show(ctx, "acme")
		if tn.LogoURL != "/media/acme.png" || tn.Accent != "" {
			t.Errorf("after clearing the accent: %q %q", tn.LogoURL, tn.Accent)
		}
		if b := tenancy.AdminBranding(def)(req.WithContext(tenancy.WithTenant(req.Context(), tn))); b.Accent != def.Accent || b.LogoURL != "/media/acme.png" {
			t.Errorf("a cleared accent should fall back to the default: %+v", b)
		}
	})
}

// TestGrantNonces checks the registry's nonce store on every dialect: a
// nonce is accepted once, by any store over the same registry (another
// instance), nonces differing only in case are different, and expired
// nonces are deleted.
func TestGrantNonces(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, tdb *dbtest.DB) {
		ctx := context.Background()
		reg, _ := newRegistry(t, tdb, noAppMigrations)
		one, other := reg.GrantNonces(), tenancy.NewRegistry(tdb.Database(), tenancy.RegistryOptions{}).GrantNonces()
		exp := time.Now().Add(2 * time.Minute)
		use := func(s tenancy.NonceStore, nonce string, expires time.Time, want bool) {
			t.Helper()
			fresh, err := s.Use(ctx, nonce, expires)
			if err != nil || fresh != want {
				t.Errorf("Use(%q): %v, %v; want %v", nonce, fresh, err, want)
			}
		}
		use(one, "AbCdEf0123456789_-xyzw", exp, true)
		use(one, "AbCdEf0123456789_-xyzw", exp, false)
		use(other, "AbCdEf0123456789_-xyzw", exp, false) // another instance
		use(other, "abcdef0123456789_-xyzw", exp, true)  // case matters
		// A nonce whose grant expired long ago is deleted by the next Use,
		// so the table does not grow; using it again is then "fresh", but a
		// grant that old is refused for its expiry before its nonce is
		// looked at.
		use(one, "old-nonce", time.Now().Add(-time.Hour), true)
		use(one, "another", exp, true)
		n, err := tdb.SQL.QueryContext(ctx, "SELECT nonce FROM quarry_tenancy_grant_nonces WHERE nonce = 'old-nonce'")
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if n.Next() {
			t.Error("an expired nonce was kept")
		}
	})
}
