package postgres

// CastText is CAST(expr AS TEXT).
func (Dialect) CastText(expr string) string { return "CAST(" + expr + " AS TEXT)" }

// BindDecimal is placeholder itself: PostgreSQL types the parameter as the
// NUMERIC it is compared with, and compares exactly.
func (Dialect) BindDecimal(placeholder string) string { return placeholder }

// CompareTime is expr: timestamps compare as instants.
func (Dialect) CompareTime(expr string) string { return expr }

// InsertDefaultValues is DEFAULT VALUES.
func (Dialect) InsertDefaultValues() string { return "DEFAULT VALUES" }
