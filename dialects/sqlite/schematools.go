package sqlite

import (
	"context"
	"database/sql"
	"regexp"
	"strings"

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

// objectsQuery lists the views, triggers and virtual tables with their
// statements as written, in rowid (creation) order; indexes are diffed
// with their tables. SchemaObjects keeps the virtual tables that are
// search indexes.
const objectsQuery = `SELECT CASE type WHEN 'table' THEN 'virtual table' ELSE type END, name, sql,
		'DROP ' || CASE type WHEN 'table' THEN 'TABLE' ELSE upper(type) END || ' ' || '"' || name || '"', rowid
	FROM sqlite_master WHERE sql IS NOT NULL AND (type IN ('view', 'trigger') OR type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%')`

// SchemaObjects lists the views, triggers and search indexes
// (SearchIndexes) of sqlite_master: SQLite keeps each one's CREATE
// statement as written. A search index is filled by its rebuild command
// once created. Other virtual tables are not listed: the differ leaves
// them to hand-written migrations.
func (Dialect) SchemaObjects(ctx context.Context, db queries.DBTX) ([]dialects.SchemaObject, error) {
	objs, err := kit.QueryAll(ctx, db, objectsQuery, func(o *dialects.SchemaObject) []any {
		return []any{&o.Kind, &o.Name, &o.Create, &o.Drop, &o.Order}
	})
	out := objs[:0]
	for _, o := range objs {
		if o.Kind == "virtual table" {
			if searchIndexOf(o.Create) == "" {
				continue
			}
			q := Dialect{}.QuoteIdent(o.Name)
			o.Fill = "INSERT INTO " + q + " (" + q + ") VALUES ('rebuild')"
		}
		out = append(out, o)
	}
	return out, err
}

// UnlistedObjectKinds is none: SQLite has no functions or procedures in
// SQL, and SchemaObjects lists its views and triggers.
func (Dialect) UnlistedObjectKinds() []string { return nil }

// UnlistedObjects is always "".
func (Dialect) UnlistedObjects(context.Context, queries.DBTX) (string, error) { return "", nil }

// RecreateAroundTableChanges is true for triggers, which a rebuilt table
// loses, for views, which make the rename ending a rebuild fail while
// they read the table it replaced, and for search indexes, whose rows a
// rebuild's copy may change with no trigger there to follow (they are
// filled again).
func (Dialect) RecreateAroundTableChanges(kind string) bool {
	return kind == "view" || kind == "trigger" || kind == "virtual table"
}

// ColumnChangesRebuildTable is true: SQLite's ALTER TABLE can add, rename
// and drop a column but not change one.
func (Dialect) ColumnChangesRebuildTable() bool { return true }

// ImplicitForeignKeyIndex is false: SQLite indexes no foreign key by
// itself.
func (Dialect) ImplicitForeignKeyIndex(context.Context, queries.DBTX, string, string) (bool, error) {
	return false, nil
}

// SearchIndexes is an FTS5 table named <table>_search over cols with
// the trigram tokenizer, whose content is the table's rows (the text is
// not stored twice), and the triggers that keep it in step with the
// table's inserts, updates and deletes. The trigram tokenizer makes a
// quoted term's MATCH a substring match, case-insensitive: the rows
// engine's search reads it for terms of three characters or more. The
// table must be a rowid table whose rows keep their rowid (an INTEGER
// PRIMARY KEY), as the index refers to rows by rowid.
func (Dialect) SearchIndexes(table string, cols []string) []string {
	if len(cols) == 0 {
		return nil
	}
	q := Dialect{}.QuoteIdent
	fts := q(table + "_search")
	list, news, olds := make([]string, len(cols)), make([]string, len(cols)), make([]string, len(cols))
	for i, c := range cols {
		list[i], news[i], olds[i] = q(c), "new."+q(c), "old."+q(c)
	}
	insert := "INSERT INTO " + fts + " (rowid, " + strings.Join(list, ", ") + ") VALUES (new.rowid, " + strings.Join(news, ", ") + ");"
	remove := "INSERT INTO " + fts + " (" + fts + ", rowid, " + strings.Join(list, ", ") + ") VALUES ('delete', old.rowid, " + strings.Join(olds, ", ") + ");"
	trigger := func(name, event, body string) string {
		return "CREATE TRIGGER " + q(table+"_search_"+name) + " AFTER " + event + " ON " + q(table) + " BEGIN " + body + " END"
	}
	return []string{
		"CREATE VIRTUAL TABLE " + fts + " USING fts5(" + strings.Join(list, ", ") + ", content='" + strings.ReplaceAll(table, "'", "''") + "', tokenize='trigram')",
		trigger("insert", "INSERT", insert),
		trigger("delete", "DELETE", remove),
		trigger("update", "UPDATE", remove+" "+insert),
	}
}

// searchIndexRe reads a search index's statement as SearchIndexes writes
// it: its name, and the table named in content=.
var searchIndexRe = regexp.MustCompile(`^CREATE VIRTUAL TABLE "((?:[^"]|"")+)" USING fts5\((?:"(?:[^"]|"")+", )+content='((?:[^']|'')+)', tokenize='trigram'\)$`)

// searchIndexOf returns the table a virtual table's statement makes a
// search index of, or "": only a statement SearchIndexes writes is one
// (a hand-made FTS table may have a content_rowid or a detail= the
// search does not read).
func searchIndexOf(ddl string) string {
	m := searchIndexRe.FindStringSubmatch(ddl)
	if m == nil {
		return ""
	}
	table := strings.ReplaceAll(m[2], "''", "'")
	if strings.ReplaceAll(m[1], `""`, `"`) != table+"_search" {
		return ""
	}
	return table
}
