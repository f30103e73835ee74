package textinput

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string // "" = valid
	}{
		{"plain", "hello", 0, ""},
		{"unicode", "héllo wörld 日本", 0, ""},
		{"empty", "", 5, ""},
		{"NUL", "a\x00b", 0, "contains a NUL byte"},
		{"NUL only", "\x00", 0, "contains a NUL byte"},
		{"invalid byte", "a\xffb", 0, "not valid UTF-8"},
		{"truncated sequence", "\xe6\x97", 0, "not valid UTF-8"},
		{"surrogate", "\xed\xa0\x80", 0, "not valid UTF-8"},
		{"overlong", "\xc0\xaf", 0, "not valid UTF-8"},
		{"at the limit", "ééééé", 5, ""},
		{"over the limit", "éééééé", 5, "longer than 5 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check("username", tc.in, tc.max)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "username") {
				t.Fatalf("Check(%q) = %v, want ErrInvalid naming the field and %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for _, in := range []string{"", "admin", "a\x00b", "\xff\xfe", strings.Repeat("é", 1000), "x\x00\xff" + strings.Repeat("y", 300)} {
		out := Clean(in, 150)
		if err := Check("s", out, 150); err != nil {
			t.Errorf("Clean(%q) = %q, which Check refuses: %v", in, out, err)
		}
		if utf8.ValidString(in) && !strings.Contains(in, "\x00") && utf8.RuneCountInString(in) <= 150 && out != in {
			t.Errorf("Clean changed valid input %q to %q", in, out)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"admin", "\x00", "\xff", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := Check("s", Clean(s, 64), 64); err != nil {
			t.Fatalf("Clean(%q) not storable: %v", s, err)
		}
	})
}
