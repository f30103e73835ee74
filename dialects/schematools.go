package dialects

import (
	"context"
	"database/sql"

	"github.com/quarry-go/quarry/queries"
)

// SchemaTools is what the schema differ and its commands (makemigrations,
// inspectdb) need to know about a database beyond its catalog: where to
// build a throwaway schema, how to list the objects the differ carries by
// statement (views, functions, triggers, extensions), and which of the
// database's habits change the migration it writes. The differ itself,
// built on Atlas, lives in framework/schemadiff; nothing here is Atlas's,
// so that apps, which link every dialect, do not link Atlas.
type SchemaTools interface {
	// ProductName is the database's name as people write it
	// ("PostgreSQL", "MySQL", "SQLite"), for the comments the schema
	// tools write into migrations and dumps, which Name (lower case, a
	// URL scheme) would read oddly in.
	ProductName() string

	// SearchIndexes returns the DDL of the indexes that make the
	// framework's search (FoldCase(col) LIKE '%term%', see package
	// records) fast on table's columns cols, for the -- quarry:search
	// hint of the differ: on PostgreSQL the pg_trgm extension and a GIN
	// trigram index on LOWER(col) per column (the planner uses it for
	// that LIKE, with the same results); on SQLite an FTS5 trigram
	// table over the table's rows and the triggers that keep it in step,
	// which the search reads instead of LIKE for terms of three
	// characters or more (introspect reports it as an Index with Search
	// set). It returns nil where no index serves a substring search
	// (MySQL, MariaDB: search scans there).
	SearchIndexes(table string, cols []string) []string

	// CreateScratch creates an empty database named name, for the schema
	// differ to build a schema in, inspect and throw away, and returns its
	// URL. With server databases (Capabilities.ServerDatabases) it creates
	// it as Databases.CreateDatabase does (name is checked by
	// ValidateDatabaseName), through admin, a pool on the development
	// server, beside server's database, whose settings it takes where
	// they decide how tables are built (MySQL: the character set and
	// collation), so that the plan made on it fits the target; the caller
	// drops it with DropScratch, also when CreateScratch fails (an
	// interrupted CREATE may have created it). Without them, admin and
	// server are nil, name is unused and the database lives in memory
	// (SQLite), private to the one pool that opens the URL and gone when
	// that pool closes.
	CreateScratch(ctx context.Context, admin *sql.DB, server *URL, name string) (*URL, error)
	// DropScratch drops the scratch database name through admin, if it
	// exists, even while connections to it remain open (PostgreSQL: WITH
	// (FORCE)), as Databases.DropDatabase does: the differ drops its
	// scratch databases after an error or an interruption too. Without
	// server databases it does nothing.
	DropScratch(ctx context.Context, admin *sql.DB, name string) error

	// SchemaObjects lists the views, functions, triggers and extensions of
	// the database db is connected to (PostgreSQL: of its current schema,
	// without those an extension owns), which the differ cannot diff
	// column by column and carries by statement instead: each with the
	// statement that creates it again as it is, unqualified by the
	// database's name, and the one that drops it. Kinds a dialect cannot
	// report are named by UnlistedObjectKinds.
	SchemaObjects(ctx context.Context, db queries.DBTX) ([]SchemaObject, error)
	// UnlistedObjectKinds names the kinds of object, as written after
	// CREATE ("FUNCTION", "TRIGGER"), that the database can hold but
	// SchemaObjects does not list (MySQL: functions, procedures, triggers
	// and events), so that the differ refuses DDL creating them rather
	// than leaving them out of a migration without a word.
	UnlistedObjectKinds() []string
	// UnlistedObjects describes, for a comment in a dump of the database
	// db is connected to, the objects it holds that SchemaObjects leaves
	// out ("2 function(s) or procedure(s) and 1 trigger(s)"), or returns
	// "" when there are none.
	UnlistedObjects(ctx context.Context, db queries.DBTX) (string, error)
	// RecreateAroundTableChanges reports whether an object of kind (a
	// SchemaObject.Kind) that stays the same must still be dropped before
	// a migration changes tables and created again after, because it
	// would block or break the change: PostgreSQL's views pin the columns
	// they read; SQLite rebuilds a changed table (see
	// ColumnChangesRebuildTable), which loses its triggers, and refuses
	// the rename that ends a rebuild while a view reads a dropped table.
	// MySQL resolves a view when it is queried and alters tables in place.
	RecreateAroundTableChanges(kind string) bool
	// ColumnChangesRebuildTable reports whether changing a column's type,
	// nullability or default rebuilds its table — creates the new table,
	// copies the rows over, drops the old one and renames the new — as
	// on SQLite, whose ALTER TABLE cannot change a column, rather than
	// altering it in place. The differ's rebuild fills a column's NULLs
	// with its new default as it copies, so it writes no UPDATE for them.
	ColumnChangesRebuildTable() bool
	// ImplicitForeignKeyIndex reports whether table has an index named
	// like its foreign key foreignKey, which the database creates by
	// itself for the key and keeps when the key is dropped, so that a
	// migration dropping the key must drop the index too: MySQL and
	// MariaDB create one when no index starts with the key's columns.
	// Other databases create none and report false without a query.
	ImplicitForeignKeyIndex(ctx context.Context, db queries.DBTX, table, foreignKey string) (bool, error)
}

// SchemaObject is a view, function, trigger or extension, as
// SchemaTools.SchemaObjects lists it.
type SchemaObject struct {
	// Kind is "view", "function" (procedures too), "trigger",
	// "extension" or "virtual table" (SQLite).
	Kind string
	// Name identifies the object among those of its kind: a view's or an
	// extension's name, a function's signature, "trigger ON table".
	Name string
	// Create is the statement that creates the object, as the database
	// reports it; Drop is the one that drops it.
	Create, Drop string
	// Fill, when set, runs once after Create to fill the object from the
	// rows already there (the rebuild of a search index over a table).
	Fill string
	// Order is the object's creation order where the database keeps one
	// (an object id), so that dependents are created after what they
	// depend on and dropped before; 0 where it keeps none.
	Order int64
}
