package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/textinput"
)

// Cell is one value read from the database, in its canonical text form:
// what a form input holds and what Parse reads back.
type Cell struct {
	Text string
	Null bool
}

// Formats of dates and times in cells, forms, URLs and exports. Times are
// shown and entered in UTC, as they are stored.
const (
	DateLayout      = "2006-01-02"
	DateTimeLayout  = "2006-01-02T15:04:05.999999"
	DateTimeDisplay = "2006-01-02 15:04:05"
)

// ToCell turns a value scanned into `any` by any of the three drivers into
// its canonical text for the column's kind.
func ToCell(c *introspect.Column, v any) Cell {
	if v == nil {
		return Cell{Null: true}
	}
	switch c.Kind {
	case introspect.KindBool:
		switch x := v.(type) {
		case bool:
			return Cell{Text: strconv.FormatBool(x)}
		case int64:
			return Cell{Text: strconv.FormatBool(x != 0)}
		}
		s := strings.ToLower(asString(v))
		return Cell{Text: strconv.FormatBool(s == "1" || s == "true" || s == "t")}
	case introspect.KindDate:
		if t, ok := v.(time.Time); ok {
			return Cell{Text: t.Format(DateLayout)}
		}
		s := asString(v)
		if len(s) > 10 {
			s = s[:10]
		}
		return Cell{Text: s}
	case introspect.KindDateTime:
		if t, ok := v.(time.Time); ok {
			return Cell{Text: t.UTC().Format(DateTimeLayout)}
		}
		if t, err := ParseDateTime(asString(v)); err == nil {
			return Cell{Text: t.Format(DateTimeLayout)}
		}
		return Cell{Text: asString(v)}
	case introspect.KindDecimal:
		if f, ok := v.(float64); ok { // SQLite, which stores decimals as numbers
			return Cell{Text: strconv.FormatFloat(f, 'f', -1, 64)}
		}
	case introspect.KindFloat:
		if f, ok := v.(float64); ok {
			return Cell{Text: strconv.FormatFloat(f, 'g', -1, 64)}
		}
	case introspect.KindBinary:
		if b, ok := v.([]byte); ok {
			return Cell{Text: fmt.Sprintf("(%d bytes)", len(b))}
		}
	case introspect.KindTime:
		if t, ok := v.(time.Time); ok {
			return Cell{Text: t.Format("15:04:05")}
		}
	}
	return Cell{Text: asString(v)}
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

var (
	decimalRe = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)
	timeRe    = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
)

var dateTimeLayouts = []string{DateTimeLayout, "2006-01-02T15:04", "2006-01-02 15:04:05.999999", "2006-01-02 15:04", time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// ParseDateTime reads a date and time in UTC (YYYY-MM-DD HH:MM[:SS[.ffffff]],
// with a T or a space, or RFC 3339 with an offset).
func ParseDateTime(s string) (time.Time, error) {
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("enter a date and time as YYYY-MM-DD HH:MM[:SS] (UTC)")
}

// ParseDate reads a date as YYYY-MM-DD, in the years every dialect stores.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return t, errors.New("enter a date as YYYY-MM-DD")
	}
	return t, yearOK(t)
}

// yearOK refuses the years outside 1 to 9999 (UTC), which some dialects
// cannot store (there is no year 0 in PostgreSQL).
func yearOK(t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return errors.New("enter a date between 0001-01-01 and 9999-12-31")
	}
	return nil
}

var precisionRe = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)

// decimalFits checks a decimal number (as decimalRe matches it) against
// the column: not negative when unsigned, and within the precision and
// scale its type declares, e.g. numeric(10,2), once rounded to the scale
// as the databases round it.
func decimalFits(c *introspect.Column, s string) error {
	r, ok := new(big.Rat).SetString(strings.TrimSuffix(s, "."))
	if !ok {
		return nil
	}
	if c.Unsigned && r.Sign() < 0 {
		return errors.New("must not be negative")
	}
	m := precisionRe.FindStringSubmatch(c.Type)
	if m == nil {
		return nil
	}
	p, _ := strconv.Atoi(m[1])
	scale := 0
	if m[2] != "" {
		scale, _ = strconv.Atoi(m[2])
	}
	if p == 0 || p > 1000 || scale > p {
		return nil
	}
	pow10 := func(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }
	// |r|·10^scale rounded half away from zero, ⌊(2x+1)/2⌋, has at most p digits.
	x := new(big.Rat).Mul(new(big.Rat).Abs(r), new(big.Rat).SetInt(pow10(scale)))
	twice := new(big.Int).Mul(x.Num(), big.NewInt(2))
	rounded := new(big.Int).Quo(twice.Add(twice, x.Denom()), new(big.Int).Mul(x.Denom(), big.NewInt(2)))
	if rounded.Cmp(pow10(p)) < 0 {
		return nil
	}
	if scale == 0 {
		return fmt.Errorf("at most %d digits", p)
	}
	return fmt.Errorf("at most %d digits before the decimal point", p-scale)
}

// DecimalText writes a decimal read from the database with the scale its
// column declares ("12.5" of a DECIMAL(8,2) is "12.50"), as PostgreSQL
// and MySQL return it and SQLite, which stores decimals as numbers, does
// not. Text that is not a plain decimal is returned as it is.
func DecimalText(c *introspect.Column, text string) string {
	m := precisionRe.FindStringSubmatch(c.Type)
	if m == nil || m[2] == "" || !decimalRe.MatchString(text) || strings.ContainsAny(text, "eE") {
		return text
	}
	scale, _ := strconv.Atoi(m[2])
	whole, frac, _ := strings.Cut(text, ".")
	if scale == 0 || len(frac) >= scale || scale > 100 {
		return text
	}
	return whole + "." + frac + strings.Repeat("0", scale-len(frac))
}

// Parse checks text against the column and returns the value to bind.
// Its error is the message shown beside the field.
func Parse(c *introspect.Column, text string) (any, error) {
	if err := textinput.Check("this value", text, 0); err != nil {
		return nil, err
	}
	switch c.Kind {
	case introspect.KindText, introspect.KindLongText:
		if c.MaxLength > 0 && utf8.RuneCountInString(text) > c.MaxLength {
			return nil, fmt.Errorf("at most %d characters (this has %d)", c.MaxLength, utf8.RuneCountInString(text))
		}
		return text, nil
	case introspect.KindInt:
		s := strings.TrimSpace(text)
		if c.Unsigned {
			n, err := strconv.ParseUint(s, 10, c.Bits)
			if err != nil {
				return nil, intError(err, c, true)
			}
			if n > math.MaxInt64 {
				return nil, intError(strconv.ErrRange, c, true)
			}
			return int64(n), nil
		}
		bits := c.Bits
		if bits == 0 {
			bits = 64
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, intError(err, c, false)
		}
		return n, nil
	case introspect.KindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errors.New("enter a number")
		}
		if c.Bits == 32 {
			// A single-precision column holds float32(f); comparing it with
			// f itself would fail.
			f32 := float32(f)
			if math.IsInf(float64(f32), 0) {
				return nil, errors.New("out of range for this column")
			}
			return float64(f32), nil
		}
		return f, nil
	case introspect.KindDecimal:
		s := strings.TrimSpace(text)
		if !decimalRe.MatchString(s) || len(s) > 100 {
			return nil, errors.New("enter a decimal number such as 12.50")
		}
		if err := decimalFits(c, s); err != nil {
			return nil, err
		}
		return s, nil
	case introspect.KindBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true", "on", "1", "yes":
			return true, nil
		case "false", "off", "0", "no", "":
			return false, nil
		}
		return nil, errors.New("enter true or false")
	case introspect.KindDate:
		t, err := ParseDate(strings.TrimSpace(text))
		if err != nil {
			return nil, err
		}
		return t.Format(DateLayout), nil
	case introspect.KindDateTime:
		t, err := ParseDateTime(strings.TrimSpace(text))
		if err == nil {
			err = yearOK(t)
		}
		return t, err
	case introspect.KindTime:
		s := strings.TrimSpace(text)
		if !timeRe.MatchString(s) {
			return nil, errors.New("enter a time as HH:MM[:SS]")
		}
		return s, nil
	case introspect.KindJSON:
		if !json.Valid([]byte(text)) {
			var v any
			err := json.Unmarshal([]byte(text), &v)
			return nil, fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		if err := jsonEscapesOK(text); err != nil {
			return nil, err
		}
		return text, nil
	case introspect.KindUUID:
		s := strings.TrimSpace(text)
		if !uuidRe.MatchString(s) {
			return nil, errors.New("enter a UUID such as 123e4567-e89b-12d3-a456-426614174000")
		}
		return strings.ToLower(s), nil
	case introspect.KindEnum:
		for _, v := range c.Enum {
			if v == text {
				return text, nil
			}
		}
		return nil, fmt.Errorf("choose one of: %s", strings.Join(c.Enum, ", "))
	}
	return nil, errors.New("this column cannot be edited here")
}

// jsonEscapesOK refuses the \u escapes of valid JSON that PostgreSQL's
// jsonb cannot store — a NUL (\u0000) and a surrogate that is not half of
// a pair — on every dialect, so that the same document gets the same
// answer everywhere. text is valid JSON, so a backslash is always inside a
// string.
func jsonEscapesOK(text string) error {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(text) || text[i] != '\\' || text[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(text[i+2:i+6], 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // a two-character escape such as \\ or \"
			continue
		}
		switch {
		case r == 0:
			return errors.New("not storable JSON: a string holds a NUL character (\\u0000)")
		case utf16.IsSurrogate(r):
			lo, ok := hex4(i + 6)
			if r >= 0xdc00 || !ok || lo < 0xdc00 || lo > 0xdfff {
				return errors.New("not storable JSON: a string holds half of a UTF-16 surrogate pair")
			}
			i += 6
		}
		i += 5
	}
	return nil
}

func intError(err error, c *introspect.Column, unsigned bool) error {
	if errors.Is(err, strconv.ErrRange) {
		bits := c.Bits
		if bits == 0 {
			bits = 64
		}
		if unsigned {
			return fmt.Errorf("must be between 0 and %d", min(uint64(1)<<bits-1, math.MaxInt64))
		}
		return fmt.Errorf("must be between %d and %d", -(int64(1) << (bits - 1)), int64(1)<<(bits-1)-1)
	}
	return errors.New("enter a whole number")
}

// Editable reports whether the engine can write the column: it is not
// generated, and its kind has a text form Parse reads.
func Editable(c *introspect.Column) bool {
	return !c.Generated && c.Kind != introspect.KindBinary && c.Kind != introspect.KindOther
}
