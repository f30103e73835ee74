package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// ProductName is "MySQL", for MariaDB too.
func (Dialect) ProductName() string { return "MySQL" }

// CreateScratch runs CREATE DATABASE as CreateDatabase does, but with the
// character set and collation of server's database, so that tables
// planned on the scratch database carry the target's defaults, not the
// server's or utf8mb4_unicode_ci. Without a database in server, or when
// they cannot be read, the server's defaults apply.
func (d Dialect) CreateScratch(ctx context.Context, admin *sql.DB, server *dialects.URL, name string) (*dialects.URL, error) {
	if err := d.createDatabase(ctx, admin, name, charsetOf(ctx, admin, server.Database)); err != nil {
		return nil, err
	}
	return server.WithDatabase(name)
}

// charsetOf is the CHARACTER SET and COLLATE clause of database db, or ""
// when db is "" or they cannot be read.
func charsetOf(ctx context.Context, admin *sql.DB, db string) string {
	if db == "" {
		return ""
	}
	var charset, collation string
	err := admin.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, db).Scan(&charset, &collation)
	if err != nil || !plainWord(charset) || !plainWord(collation) {
		return ""
	}
	return " CHARACTER SET " + charset + " COLLATE " + collation
}

// plainWord reports whether s is a non-empty word of ASCII letters, digits
// and underscores, safe to write into a statement unquoted.
func plainWord(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// DropScratch is DropDatabase: DROP DATABASE IF EXISTS, which does not
// wait for the sessions connected to it unless one holds a lock in it.
func (d Dialect) DropScratch(ctx context.Context, admin *sql.DB, name string) error {
	return d.DropDatabase(ctx, admin, name)
}

// objectsQuery lists the views of the current database. MySQL keeps no
// creation order (0).
const objectsQuery = `SELECT 'view', TABLE_NAME, CONCAT('CREATE VIEW ', CHAR(96), TABLE_NAME, CHAR(96), ' AS ', VIEW_DEFINITION),
		CONCAT('DROP VIEW ', CHAR(96), TABLE_NAME, CHAR(96)), 0, DATABASE()
	FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()`

// SchemaObjects lists the views only (see UnlistedObjectKinds). MySQL
// qualifies every name in a view's definition with its database's, which
// is taken out, so that the statement creates the view in any database.
func (Dialect) SchemaObjects(ctx context.Context, db queries.DBTX) ([]dialects.SchemaObject, error) {
	type row struct {
		dialects.SchemaObject
		database string
	}
	rows, err := kit.QueryAll(ctx, db, objectsQuery, func(r *row) []any {
		return []any{&r.Kind, &r.Name, &r.Create, &r.Drop, &r.Order, &r.database}
	})
	if err != nil {
		return nil, err
	}
	out := make([]dialects.SchemaObject, 0, len(rows))
	for _, r := range rows {
		r.Create = strings.ReplaceAll(r.Create, "`"+r.database+"`.", "")
		out = append(out, r.SchemaObject)
	}
	return out, nil
}

// UnlistedObjectKinds are functions, procedures, triggers and events,
// whose definitions Quarry does not carry through yet.
func (Dialect) UnlistedObjectKinds() []string {
	return []string{"FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"}
}

// UnlistedObjects counts the current database's routines (functions and
// procedures) and triggers.
func (Dialect) UnlistedObjects(ctx context.Context, db queries.DBTX) (string, error) {
	var routines, triggers int
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()),
		(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE())`).Scan(&routines, &triggers)
	if err != nil {
		return "", fmt.Errorf("count routines and triggers: %w", err)
	}
	if routines+triggers == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d function(s) or procedure(s) and %d trigger(s)", routines, triggers), nil
}

// RecreateAroundTableChanges is false: a view is resolved when it is
// queried, and tables are altered in place, triggers and all.
func (Dialect) RecreateAroundTableChanges(string) bool { return false }

// ColumnChangesRebuildTable is false: ALTER TABLE … MODIFY changes a
// column (InnoDB may copy the rows, but the table keeps its identity).
func (Dialect) ColumnChangesRebuildTable() bool { return false }

// ImplicitForeignKeyIndex looks for an index named foreignKey on table:
// InnoDB creates one, named after the key, when no index starts with the
// key's columns, and keeps it when the key is dropped.
func (Dialect) ImplicitForeignKeyIndex(ctx context.Context, db queries.DBTX, table, foreignKey string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?`, table, foreignKey).Scan(&n)
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// SearchIndexes is nil: no index here answers a substring LIKE with the
// same results (FULLTEXT matches words), so search scans.
func (Dialect) SearchIndexes(table string, cols []string) []string { return nil }
