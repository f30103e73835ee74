package media_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/quarry-go/quarry/framework/media"
)

// FuzzNormalizeFilename: whatever a client names its file, the name kept
// is valid UTF-8, one path segment without control or formatting
// characters, 1 to MaxFilenameLen characters, without leading or
// trailing dots or spaces, and normalising it again changes nothing.
func FuzzNormalizeFilename(f *testing.F) {
	for _, s := range []string{"photo.jpg", "../../etc/passwd", `C:\x\y.pdf`, "a\x00b", "evil\u202egpj.exe", "...", "",
		strings.Repeat("é", 300) + ".jpeg", "x." + strings.Repeat("e", 300), "bad\xff.txt", " . a . "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := media.NormalizeFilename(in)
		n := utf8.RuneCountInString(got)
		switch {
		case !utf8.ValidString(got):
			t.Fatalf("%q → %q: not UTF-8", in, got)
		case n < 1 || n > media.MaxFilenameLen:
			t.Fatalf("%q → %q: %d characters", in, got, n)
		case strings.ContainsAny(got, `/\`):
			t.Fatalf("%q → %q: a path separator", in, got)
		case strings.ContainsFunc(got, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
			t.Fatalf("%q → %q: a control or formatting character", in, got)
		case strings.Trim(got, " .") != got:
			t.Fatalf("%q → %q: leading or trailing dots or spaces", in, got)
		}
		if again := media.NormalizeFilename(got); again != got {
			t.Fatalf("%q → %q → %q: not a fixed point", in, got, again)
		}
	})
}
