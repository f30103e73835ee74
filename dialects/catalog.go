package dialects

// Catalog is the SQL that reads a database's catalog (tables, columns,
// keys, indexes, foreign keys) for package introspect, which builds its
// schema from the rows in one shared way.
type Catalog interface {
}
