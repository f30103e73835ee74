package tenancy

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/postgres"
)

// DefaultRLSRole is the role ModeRLS tenants' connections SET ROLE to
// unless RegistryOptions.RLSRole says otherwise.
const DefaultRLSRole = postgres.DefaultRLSRole

// TenantIDSetting is the custom setting that holds, on every connection
// of a ModeRLS tenant's pool, the tenant's id: the tenant_isolation
// policy of RLSStatements compares each row's tenant_id with it.
const TenantIDSetting = postgres.TenantIDSetting

// RLSStatements returns the PostgreSQL statements that put table, which
// has a tenant_id BIGINT column, under row-level security for ModeRLS
// tenants. quarry makemigrations writes them itself for a CREATE TABLE
// with a "-- quarry:tenant-scoped" hint (see docs/tenancy.md); this is
// for migrations written by hand. The statements are built by
// postgres.RLSStatements, their one source:
//
//	ALTER TABLE "posts" ENABLE ROW LEVEL SECURITY;
//	ALTER TABLE "posts" FORCE ROW LEVEL SECURITY;
//	CREATE POLICY "tenant_isolation" ON "posts"
//	    USING (tenant_id = current_setting('quarry.tenant_id', true)::bigint)
//	    WITH CHECK (tenant_id = current_setting('quarry.tenant_id', true)::bigint);
//	GRANT SELECT, INSERT, UPDATE, DELETE ON "posts" TO "quarry_tenant";
//
// A connection sees and writes only the rows of the tenant its
// quarry.tenant_id names, and none where it is unset (FORCE: the table's
// owner too; superusers and BYPASSRLS roles are never subject to a
// policy). table is a name or schema.name and role the registry's
// RLSRole (empty: DefaultRLSRole); each is checked (letters, digits,
// underscores) and quoted, and a refused name wraps ErrInvalid. An id
// column should be an identity column (GENERATED … AS IDENTITY), which
// needs no grant on its sequence; a serial column's sequence needs GRANT
// USAGE to the role as well.
func RLSStatements(table, role string) ([]string, error) {
	stmts, err := postgres.RLSStatements(table, role)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return stmts, nil
}

// quoteIdent quotes a validated PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// validateRole checks a role name: identifier rules, not pg_….
func validateRole(role string) error {
	if err := postgres.ValidateRLSRole(role); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// rlsTarget is the shared database a ModeRLS tenant's rows live in.
func (r *Registry) rlsTarget(p CreateParams) (*dialects.URL, error) {
	target := r.db.URL
	on := "the registry is on"
	if p.DatabaseURL != "" {
		var err error
		if target, err = dialects.ParseURL(p.DatabaseURL); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		on = "the database URL is for"
	}
	if !target.Dialect.Capabilities().RowSecurity {
		return nil, fmt.Errorf("%w: shared tables with row-level security need a database with row-level security policies, as PostgreSQL has; %s %s: use mode %q",
			ErrUnsupported, on, target.Dialect.ProductName(), ModeDatabase)
	}
	if err := validateRole(r.opts.RLSRole); err != nil {
		return nil, err
	}
	if _, err := rlsURL(target, r.opts.RLSRole, 1, "quarry_t_x"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return target, nil
}

// rlsURL is u for a ModeRLS tenant's pool: every connection starts as
// role, with quarry.tenant_id set to id and the search path the tenant's
// schema (its framework tables) before the database's own (the app's
// shared tables: public, or the URL's search_path), all sent in the
// startup message, so that RESET ALL returns to them. schema "" (a
// tenant made before RLS tenants had one) leaves the search path alone.
func rlsURL(u *dialects.URL, role string, id int64, schema string) (*dialects.URL, error) {
	pu, err := url.Parse(u.Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", dialects.ErrBadURL, u)
	}
	q := pu.Query()
	if o := strings.ToLower(q.Get("options")); strings.Contains(o, "role") || strings.Contains(o, TenantIDSetting) || strings.Contains(o, "search_path") {
		return nil, fmt.Errorf("%w: %s sets the role, %s or search_path in its options parameter", dialects.ErrBadURL, u, TenantIDSetting)
	}
	// The role is validated (letters, digits, underscores): the setting
	// takes the name as it is.
	q.Set("role", role)
	q.Set(TenantIDSetting, strconv.FormatInt(id, 10))
	if schema != "" {
		rest := q.Get("search_path")
		if rest == "" {
			rest = "public"
		}
		q.Set("search_path", quoteIdent(schema)+","+rest) // no space: pgx reads a "+" in the query as itself
	}
	pu.RawQuery = q.Encode()
	return dialects.ParseURL(pu.String())
}

// ensureRLSRole creates the registry's RLS role in target's server when
// it does not exist — NOLOGIN, NOSUPERUSER, NOBYPASSRLS, NOINHERIT —
// refuses one that bypasses row-level security, and grants it to the
// connecting user, so that its sessions may become it.
func (r *Registry) ensureRLSRole(ctx context.Context, target *dialects.URL) error {
	role := r.opts.RLSRole
	return r.onDatabase(ctx, target, func(db *sql.DB) error {
		var exists, bypasses bool
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) > 0, COALESCE(BOOL_OR(rolsuper OR rolbypassrls), false) FROM pg_roles WHERE rolname = $1`, role).Scan(&exists, &bypasses); err != nil {
			return err
		}
		if bypasses {
			return fmt.Errorf("%w: the role %s is a superuser or bypasses row-level security", ErrInvalid, role)
		}
		if !exists {
			_, err := db.ExecContext(ctx, "CREATE ROLE "+quoteIdent(role)+" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT")
			if err != nil && !strings.Contains(err.Error(), "42710") { // created meanwhile
				return fmt.Errorf("create role %s: %w", role, err)
			}
		}
		var member bool
		if err := db.QueryRowContext(ctx, `SELECT pg_has_role(current_user, $1, 'MEMBER')`, role).Scan(&member); err != nil {
			return err
		}
		if !member {
			if _, err := db.ExecContext(ctx, "GRANT "+quoteIdent(role)+" TO CURRENT_USER"); err != nil {
				return fmt.Errorf("grant role %s: %w", role, err)
			}
		}
		return nil
	})
}

// provisionRLS creates a ModeRLS tenant's schema in the database at
// target, applies the framework's migrations inside it (its users,
// sessions, jobs, audit log: the framework's tables are not tenant-scoped
// by rows, so each RLS tenant has its own) and lets the RLS role use them.
// created says whether the schema was made (and so must be dropped on
// failure).
func (r *Registry) provisionRLS(ctx context.Context, slug string, target *dialects.URL, schema string) (created bool, err error) {
	if err := r.createSchema(ctx, target, schema); err != nil {
		return false, fmt.Errorf("create its %s: %w", dataName(target, schema), err)
	}
	pinned, err := target.Dialect.(dialects.Schemas).SchemaURL(target, schema)
	if err != nil {
		return true, err
	}
	if err := r.migrateURL(ctx, slug, pinned, false); err != nil {
		return true, err
	}
	return true, r.grantRLSSchema(ctx, target, schema)
}

// migrateRLS applies the framework's pending migrations to a ModeRLS
// tenant's schema and grants the role what they created. A tenant made
// before RLS tenants had a schema has nothing to migrate.
func (r *Registry) migrateRLS(ctx context.Context, t *Tenant) error {
	if t.Schema == "" {
		return nil
	}
	u, err := dialects.ParseURL(t.DatabaseURL)
	if err != nil {
		return err
	}
	sd, ok := u.Dialect.(dialects.Schemas)
	if !ok || !u.Dialect.Capabilities().RowSecurity {
		return fmt.Errorf("%w: a tenant of mode %q on %s, which has no row-level security", ErrUnsupported, t.Mode, u.Dialect.ProductName())
	}
	pinned, err := sd.SchemaURL(u, t.Schema)
	if err != nil {
		return err
	}
	if err := r.migrateURL(ctx, t.Slug, pinned, false); err != nil {
		return err
	}
	return r.grantRLSSchema(ctx, u, t.Schema)
}

// grantRLSSchema lets the RLS role read and write the tables (and use
// the sequences) of schema, now and those its later migrations create
// (default privileges of the registry's user, which runs them). The role
// is shared by the RLS tenants of a database: a connection of one could
// name another's schema outright — as with the shared tables, the pinning
// stops the forgotten WHERE (an unqualified name resolves in the tenant's
// own schema, then in the shared tables), not hostile SQL.
func (r *Registry) grantRLSSchema(ctx context.Context, target *dialects.URL, schema string) error {
	s, role := quoteIdent(schema), quoteIdent(r.opts.RLSRole)
	return r.onDatabase(ctx, target, func(db *sql.DB) error {
		for _, stmt := range []string{
			"GRANT USAGE ON SCHEMA " + s + " TO " + role,
			"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + s + " TO " + role,
			"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA " + s + " TO " + role,
			"ALTER DEFAULT PRIVILEGES IN SCHEMA " + s + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + role,
			"ALTER DEFAULT PRIVILEGES IN SCHEMA " + s + " GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO " + role,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("let the role %s use the schema %s: %w", r.opts.RLSRole, schema, err)
			}
		}
		return nil
	})
}

// deleteRLSRows deletes the tenant's rows from every table of the current
// schema of the database at u that has row-level security and a tenant_id
// column, in one transaction with quarry.tenant_id set to the tenant's.
func (r *Registry) deleteRLSRows(ctx context.Context, u *dialects.URL, id int64) error {
	return r.onDatabase(ctx, u, func(db *sql.DB) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, `SELECT set_config($1, $2, true)`, TenantIDSetting, strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity ORDER BY c.relname`)
		if err != nil {
			return err
		}
		var tables []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return err
			}
			tables = append(tables, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Tables referring to others go first when they fail: a pass
		// deletes what it can, until nothing is left or nothing moves.
		for pending := tables; len(pending) > 0; {
			var next []string
			var last error
			for _, t := range pending {
				if _, err := tx.ExecContext(ctx, "SAVEPOINT quarry_rls_delete"); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(t)+" WHERE tenant_id = $1", id); err != nil {
					if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT quarry_rls_delete"); rerr != nil {
						return rerr
					}
					next, last = append(next, t), fmt.Errorf("delete the tenant's rows of %s: %w", t, err)
				}
			}
			if len(next) == len(pending) {
				return last
			}
			pending = next
		}
		return tx.Commit()
	})
}
