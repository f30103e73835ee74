package api

import (
	"testing"

	"github.com/quarry-go/quarry/framework/introspect"
)

// TestAppendCell pins each kind's JSON: integers and floats as numbers
// (null for NaN and the infinities, a string for text no number reads),
// date-times in UTC with their Z, JSON compacted, the rest as strings.
func TestAppendCell(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		kind introspect.Kind
		text string
		want string
	}{
		{introspect.KindInt, "42", `42`},
		{introspect.KindInt, "-7", `-7`},
		{introspect.KindInt, "0", `0`},
		{introspect.KindInt, "007", `"007"`},
		{introspect.KindInt, "12abc", `"12abc"`},
		{introspect.KindInt, "-", `"-"`},
		{introspect.KindFloat, "1.5", `1.5`},
		{introspect.KindFloat, "1e+21", `1e+21`},
		{introspect.KindFloat, "NaN", `null`},
		{introspect.KindFloat, "Infinity", `null`},
		{introspect.KindFloat, "-Infinity", `null`},
		{introspect.KindFloat, "0x1p-2", `0.25`},
		{introspect.KindFloat, "n/a", `"n/a"`},
		{introspect.KindBool, "true", `true`},
		{introspect.KindBool, "false", `false`},
		{introspect.KindJSON, `{ "a" : [1, 2] }`, `{"a":[1,2]}`},
		{introspect.KindJSON, `{"a":`, `"{\"a\":"`},
		{introspect.KindDateTime, "2026-01-02T03:04:05.5", `"2026-01-02T03:04:05.5Z"`},
		{introspect.KindDateTime, "2026-01-02T03:04:05Z", `"2026-01-02T03:04:05Z"`},
		{introspect.KindDateTime, "2026-01-02T03:04:05+02:00", `"2026-01-02T03:04:05+02:00"`},
		{introspect.KindText, `say "hi" <b>`, `"say \"hi\" \u003cb\u003e"`},
	} {
		got := string(appendCell(nil, cellJSON{&introspect.Column{Name: "c", Kind: c.kind}, c.text}))
		if got != c.want {
			t.Errorf("%v %q: %s, want %s", c.kind, c.text, got, c.want)
		}
	}
}
