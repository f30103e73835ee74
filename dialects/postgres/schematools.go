package postgres

import (
	"context"
	"database/sql"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// ProductName is "PostgreSQL".
func (Dialect) ProductName() string { return "PostgreSQL" }

// CreateScratch creates the database with CreateDatabase; nothing of
// server's database decides how tables are built.
func (d Dialect) CreateScratch(ctx context.Context, admin *sql.DB, server *dialects.URL, name string) (*dialects.URL, error) {
	if err := d.CreateDatabase(ctx, admin, name); err != nil {
		return nil, err
	}
	return server.WithDatabase(name)
}

// DropScratch is DropDatabase: DROP DATABASE IF EXISTS … WITH (FORCE),
// which ends the sessions still connected to it (PostgreSQL 13 and later).
func (d Dialect) DropScratch(ctx context.Context, admin *sql.DB, name string) error {
	return d.DropDatabase(ctx, admin, name)
}

// objectsQuery lists the current schema's views, functions and procedures,
// triggers, and the extensions but plpgsql, leaving out what an extension
// owns; the oid orders them by creation.
const objectsQuery = `SELECT 'view', c.relname, 'CREATE VIEW ' || quote_ident(c.relname) || ' AS' || chr(10) || pg_get_viewdef(c.oid),
		'DROP VIEW ' || quote_ident(c.relname), c.oid::bigint
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind = 'v' AND n.nspname = current_schema()
	  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
	UNION ALL
	SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid), 'DROP FUNCTION ' || p.oid::regprocedure::text, p.oid::bigint
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
	  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
	UNION ALL
	SELECT 'trigger', t.tgname || ' ON ' || c.relname, pg_get_triggerdef(t.oid),
		'DROP TRIGGER ' || quote_ident(t.tgname) || ' ON ' || quote_ident(c.relname), t.oid::bigint
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE NOT t.tgisinternal AND n.nspname = current_schema()
	UNION ALL
	SELECT 'extension', e.extname, 'CREATE EXTENSION IF NOT EXISTS ' || quote_ident(e.extname),
		'DROP EXTENSION IF EXISTS ' || quote_ident(e.extname), e.oid::bigint
	FROM pg_extension e WHERE e.extname <> 'plpgsql'`

// SchemaObjects lists views, functions (procedures too), triggers and
// extensions, with the catalog's own definitions (pg_get_viewdef and so
// on) for statements and their oid for order.
func (Dialect) SchemaObjects(ctx context.Context, db queries.DBTX) ([]dialects.SchemaObject, error) {
	return kit.QueryAll(ctx, db, objectsQuery, func(o *dialects.SchemaObject) []any {
		return []any{&o.Kind, &o.Name, &o.Create, &o.Drop, &o.Order}
	})
}

// UnlistedObjectKinds is none: SchemaObjects lists every kind makemigrations
// accepts.
func (Dialect) UnlistedObjectKinds() []string { return nil }

// UnlistedObjects is always "".
func (Dialect) UnlistedObjects(context.Context, queries.DBTX) (string, error) { return "", nil }

// RecreateAroundTableChanges is true for views, which pin the columns they
// read: ALTER TABLE refuses to change or drop them.
func (Dialect) RecreateAroundTableChanges(kind string) bool { return kind == "view" }

// ColumnChangesRebuildTable is false: ALTER TABLE … ALTER COLUMN changes a
// column in place.
func (Dialect) ColumnChangesRebuildTable() bool { return false }

// ImplicitForeignKeyIndex is false: PostgreSQL indexes no foreign key by
// itself.
func (Dialect) ImplicitForeignKeyIndex(context.Context, queries.DBTX, string, string) (bool, error) {
	return false, nil
}

// SearchIndexes is CREATE EXTENSION IF NOT EXISTS pg_trgm and, per
// column, CREATE INDEX <table>_<col>_search ON <table> USING gin
// (LOWER(<col>) gin_trgm_ops): FoldCase is LOWER, so the search's
// LOWER(col) LIKE '%term%' matches the index's expression. The
// extension must be one the server offers (contrib) and the role may
// create; in schema-per-tenant mode it lives in the first schema that
// creates it, which every tenant's search_path must then reach.
func (Dialect) SearchIndexes(table string, cols []string) []string {
	if len(cols) == 0 {
		return nil
	}
	out := []string{"CREATE EXTENSION IF NOT EXISTS pg_trgm"}
	for _, c := range cols {
		out = append(out, "CREATE INDEX "+Dialect{}.QuoteIdent(table+"_"+c+"_search")+" ON "+Dialect{}.QuoteIdent(table)+
			" USING gin (LOWER("+Dialect{}.QuoteIdent(c)+") gin_trgm_ops)")
	}
	return out
}
