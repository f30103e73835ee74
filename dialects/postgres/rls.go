package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/dialects"
)

// DefaultRLSRole is the role that tenant-scoped tables are granted to,
// and that ModeRLS tenants' connections become, unless told otherwise.
const DefaultRLSRole = "quarry_tenant"

// TenantIDSetting is the custom setting that holds a ModeRLS tenant's id
// on its connections: the tenant_isolation policy compares each row's
// tenant_id with it.
const TenantIDSetting = "quarry.tenant_id"

// RLSPolicy is the name of the policy RLSStatements creates.
const RLSPolicy = "tenant_isolation"

// ErrRLSName is wrapped by RLSStatements and RLSUndoStatements for a
// table or role name they refuse.
var ErrRLSName = errors.New("invalid name for row-level security")

// RLSStatements returns the statements that put table, which has a
// tenant_id BIGINT column, under row-level security: ENABLE and FORCE ROW
// LEVEL SECURITY, the tenant_isolation policy (USING and WITH CHECK
// tenant_id = current_setting('quarry.tenant_id', true)::bigint) and the
// grant of SELECT, INSERT, UPDATE, DELETE to role (empty:
// DefaultRLSRole). It is the one builder of these statements: the tenancy
// package's RLSStatements and the schema differ's -- quarry:tenant-scoped
// hint both use it. table is a name or schema.name; each part and role is
// checked (letters, digits, underscores; role not pg_…) and quoted.
func RLSStatements(table, role string) ([]string, error) {
	t, r, err := rlsNames(table, role)
	if err != nil {
		return nil, err
	}
	check := "tenant_id = current_setting('" + TenantIDSetting + "', true)::bigint"
	return []string{
		"ALTER TABLE " + t + " ENABLE ROW LEVEL SECURITY",
		"ALTER TABLE " + t + " FORCE ROW LEVEL SECURITY",
		"CREATE POLICY " + quoteRLSIdent(RLSPolicy) + " ON " + t + " USING (" + check + ") WITH CHECK (" + check + ")",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON " + t + " TO " + r,
	}, nil
}

// RLSUndoStatements returns the statements that undo RLSStatements(table,
// role), in reverse order: the revoke, DROP POLICY, NO FORCE and DISABLE
// ROW LEVEL SECURITY.
func RLSUndoStatements(table, role string) ([]string, error) {
	t, r, err := rlsNames(table, role)
	if err != nil {
		return nil, err
	}
	return []string{
		"REVOKE SELECT, INSERT, UPDATE, DELETE ON " + t + " FROM " + r,
		"DROP POLICY " + quoteRLSIdent(RLSPolicy) + " ON " + t,
		"ALTER TABLE " + t + " NO FORCE ROW LEVEL SECURITY",
		"ALTER TABLE " + t + " DISABLE ROW LEVEL SECURITY",
	}, nil
}

// ValidateRLSRole checks a role name for RLSStatements: identifier rules
// (letters, digits, underscores, at most 63) and not a reserved pg_… name.
func ValidateRLSRole(role string) error {
	if err := dialects.ValidateDatabaseName(role); err != nil {
		return fmt.Errorf("%w: role: %w", ErrRLSName, err)
	}
	if strings.HasPrefix(strings.ToLower(role), "pg_") {
		return fmt.Errorf("%w: role %q is reserved", ErrRLSName, role)
	}
	return nil
}

// rlsNames validates and quotes table (name or schema.name) and role.
func rlsNames(table, role string) (string, string, error) {
	if role == "" {
		role = DefaultRLSRole
	}
	if err := ValidateRLSRole(role); err != nil {
		return "", "", err
	}
	var parts []string
	for _, p := range strings.SplitN(table, ".", 2) {
		if err := dialects.ValidateDatabaseName(p); err != nil {
			return "", "", fmt.Errorf("%w: table %q: %w", ErrRLSName, table, err)
		}
		parts = append(parts, quoteRLSIdent(p))
	}
	return strings.Join(parts, "."), quoteRLSIdent(role), nil
}

// quoteRLSIdent quotes a validated identifier.
func quoteRLSIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
