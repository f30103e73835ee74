package dialects

// SchemaTools is what the schema differ and its commands (makemigrations,
// inspectdb) need to know about a database beyond its catalog.
type SchemaTools interface {
}
