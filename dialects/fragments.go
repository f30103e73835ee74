package dialects

// Fragments are the pieces of SQL text that differ between databases in
// the statements the framework builds at run time (the admin's lists,
// forms and searches), so that code outside dialects/ never asks which
// database it is on.
type Fragments interface {
	// FoldCase returns the SQL expression folding the text expression expr
	// to lower case by Unicode rules, for case-insensitive search
	// ("É" matches "é" on every database).
	FoldCase(expr string) string
	// CastText returns the SQL expression converting expr, a number, date,
	// time, UUID or boolean, to its text form, e.g. to search it with
	// LIKE: CAST(expr AS TEXT), or CAST(expr AS CHAR) on MySQL.
	CastText(expr string) string
	// BindDecimal returns the expression to compare a DECIMAL column with
	// when the decimal is bound as text to placeholder (a marker from
	// Placeholder), so that the database compares decimals, as exactly as
	// the column stores them. MySQL compares a DECIMAL with a text
	// parameter as doubles, so there the parameter is cast to DECIMAL;
	// elsewhere it is placeholder itself.
	BindDecimal(placeholder string) string
	// CompareTime returns the expression to compare the date-and-time
	// expression expr (a column, or a placeholder bound to a time.Time)
	// by instant: expr itself, or julianday(expr) on SQLite, which stores
	// date-times as text in whichever format they were written
	// ("2026-01-02 10:00:00" by CURRENT_TIMESTAMP, with an offset by the
	// driver) and would compare those as text.
	CompareTime(expr string) string
	// InsertDefaultValues returns what follows INSERT INTO table to add
	// one row of the columns' defaults, with no column named: DEFAULT
	// VALUES, or () VALUES () on MySQL.
	InsertDefaultValues() string
}
