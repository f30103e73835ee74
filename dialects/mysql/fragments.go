package mysql

// CastText is CAST(expr AS CHAR): MySQL has no TEXT target type for CAST.
func (Dialect) CastText(expr string) string { return "CAST(" + expr + " AS CHAR)" }

// BindDecimal is CAST(placeholder AS DECIMAL(65,30)), the widest DECIMAL:
// MySQL compares a DECIMAL with a text parameter as doubles, which cannot
// tell apart two decimals that differ beyond a double's 15 to 17
// significant digits. (MariaDB 10.11 compares them as decimals already;
// the cast makes the whole family do so.)
func (Dialect) BindDecimal(placeholder string) string {
	return "CAST(" + placeholder + " AS DECIMAL(65,30))"
}

// InsertDefaultValues is () VALUES (): MySQL has no DEFAULT VALUES.
func (Dialect) InsertDefaultValues() string { return "() VALUES ()" }

// CompareTime is expr: DATETIME values compare as instants.
func (Dialect) CompareTime(expr string) string { return expr }
