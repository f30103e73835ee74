package sqlite

import (
	"context"
	"database/sql"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// ProductName is "SQLite".
func (Dialect) ProductName() string { return "SQLite" }

// CreateScratch returns sqlite::memory:, a new empty database for the one
// pool that opens it (which keeps a single connection to it), gone when
// that pool closes. admin, server and name are unused.
func (d Dialect) CreateScratch(context.Context, *sql.DB, *dialects.URL, string) (*dialects.URL, error) {
	return d.ParseURL("sqlite::memory:")
}

// DropScratch does nothing: closing the pool drops the scratch database.
func (Dialect) DropScratch(context.Context, *sql.DB, string) error { return nil }

// objectsQuery lists the views and triggers with their statements as
// written, in rowid (creation) order; indexes are diffed with their tables.
const objectsQuery = `SELECT type, name, sql, 'DROP ' || upper(type) || ' ' || '"' || name || '"', rowid
	FROM sqlite_master WHERE type IN ('view', 'trigger') AND sql IS NOT NULL`

// SchemaObjects lists the views and triggers of sqlite_master: SQLite
// keeps each one's CREATE statement as written.
func (Dialect) SchemaObjects(ctx context.Context, db queries.DBTX) ([]dialects.SchemaObject, error) {
	return kit.QueryAll(ctx, db, objectsQuery, func(o *dialects.SchemaObject) []any {
		return []any{&o.Kind, &o.Name, &o.Create, &o.Drop, &o.Order}
	})
}

// UnlistedObjectKinds is none: SQLite has no functions or procedures in
// SQL, and SchemaObjects lists its views and triggers.
func (Dialect) UnlistedObjectKinds() []string { return nil }

// UnlistedObjects is always "".
func (Dialect) UnlistedObjects(context.Context, queries.DBTX) (string, error) { return "", nil }

// RecreateAroundTableChanges is true for triggers, which a rebuilt table
// loses, and for views, which make the rename ending a rebuild fail while
// they read the table it replaced.
func (Dialect) RecreateAroundTableChanges(kind string) bool {
	return kind == "view" || kind == "trigger"
}

// ColumnChangesRebuildTable is true: SQLite's ALTER TABLE can add, rename
// and drop a column but not change one.
func (Dialect) ColumnChangesRebuildTable() bool { return true }

// ImplicitForeignKeyIndex is false: SQLite indexes no foreign key by
// itself.
func (Dialect) ImplicitForeignKeyIndex(context.Context, queries.DBTX, string, string) (bool, error) {
	return false, nil
}

// SearchIndexes is nil: no index here answers a substring LIKE with the
// same results (FULLTEXT matches words), so search scans.
func (Dialect) SearchIndexes(table string, cols []string) []string { return nil }
