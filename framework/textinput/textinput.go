// Package textinput is the one place that decides whether text from a
// request may reach the database. PostgreSQL refuses a NUL byte and
// invalid UTF-8 in text, MySQL's utf8mb4 refuses invalid UTF-8, and SQLite
// stores anything; Quarry holds every dialect to the strictest rule, so
// the same input gets the same answer (a 400 or 422 naming the field)
// everywhere, before any SQL runs.
package textinput

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalid matches every error of [Check] (errors.Is).
var ErrInvalid = errors.New("invalid text")

// Error says which input is not storable text and why. Its message is
// meant for the client: it names the field and never echoes the value.
type Error struct {
	Field   string // e.g. "username", "the URL path"
	Problem string // e.g. "contains a NUL byte"
}

func (e *Error) Error() string { return e.Field + " " + e.Problem }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Check reports whether s is storable text: valid UTF-8, no NUL byte and,
// when maxChars > 0, at most maxChars characters. The error names field
// and says what is wrong, without echoing s.
func Check(field, s string, maxChars int) error {
	if !utf8.ValidString(s) {
		return &Error{field, "is not valid UTF-8"}
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return &Error{field, "contains a NUL byte"}
		}
	}
	if maxChars > 0 && utf8.RuneCountInString(s) > maxChars {
		return &Error{field, fmt.Sprintf("is longer than %d characters", maxChars)}
	}
	return nil
}

// Clean returns s as storable text: invalid UTF-8 sequences become U+FFFD,
// NUL bytes are dropped, and the result is cut to maxChars characters when
// maxChars > 0. Use it where input must be counted rather than refused,
// such as a throttle key built from a username.
func Clean(s string, maxChars int) string {
	s = string([]rune(stripNUL(s))) // []rune maps invalid bytes to U+FFFD
	if maxChars > 0 && utf8.RuneCountInString(s) > maxChars {
		s = string([]rune(s)[:maxChars])
	}
	return s
}

func stripNUL(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != 0 {
			out = append(out, s[i])
		}
	}
	return string(out)
}
