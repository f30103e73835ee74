package sqlite

// CastText is CAST(expr AS TEXT).
func (Dialect) CastText(expr string) string { return "CAST(" + expr + " AS TEXT)" }

// BindDecimal is placeholder itself: the column's NUMERIC affinity
// converts the text to a number before comparing.
func (Dialect) BindDecimal(placeholder string) string { return placeholder }

// CompareTime is julianday(expr): the day number of the instant, whatever
// text format it was stored in.
func (Dialect) CompareTime(expr string) string { return "julianday(" + expr + ")" }

// InsertDefaultValues is DEFAULT VALUES.
func (Dialect) InsertDefaultValues() string { return "DEFAULT VALUES" }
