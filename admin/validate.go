package admin

import (
	"errors"
	"net/mail"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/framework/introspect"
)

// Validator checks a value typed into a form, after its column's type has
// accepted it and before it is written. Its error is shown beside the
// field (the form answers 422 and keeps what was typed), so it should say
// what to enter, e.g. "enter a valid email address". It is only called
// for a non-empty value: whether a column may be empty is its
// nullability's business.
type Validator func(string) error

// The validators the admin knows by name. [Table.Validators] assigns them
// (or functions of your own) to columns; by default text columns named
// like an email address or a slug get [Email] or [Slug] (see
// [Options.NoDefaultValidators]).
var (
	// Email accepts a bare address, name@example.com: what net/mail parses
	// as an address with no display name, comment, angle brackets or
	// quoted local part, whose domain has at least two dot-separated
	// labels of letters (any script), digits and inner hyphens; at most
	// 254 bytes.
	Email Validator = validateEmail
	// Slug accepts lowercase ASCII letters and digits in words joined by
	// single hyphens, such as "my-first-post": no upper case, spaces,
	// underscores, or leading, trailing or doubled hyphens.
	Slug Validator = validateSlug
	// URL accepts an absolute http or https address with a host and no
	// spaces or control characters, so that it is safe to show as a link.
	URL Validator = validateURL
)

var (
	errEmail = errors.New("enter a valid email address, such as name@example.com")
	errSlug  = errors.New("enter a slug such as my-first-post: lowercase letters a-z and digits, with single hyphens between words")
	errURL   = errors.New("enter a web address starting with http:// or https://")
)

func validateEmail(s string) error {
	if len(s) > 254 {
		return errEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return errEmail
	}
	if !domainOK(s[strings.LastIndexByte(s, '@')+1:]) {
		return errEmail
	}
	return nil
}

// domainOK reports a host name of at least two labels, each 1 to 63
// bytes of letters, digits and hyphens (not at either end); letters
// beyond ASCII are allowed for internationalised names.
func domainOK(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r > 0x7f) {
				return false
			}
		}
	}
	return true
}

func validateSlug(s string) error {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return errSlug
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return errSlug
		}
	}
	return nil
}

func validateURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return errURL
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return errURL
		}
	}
	return nil
}

// defaultValidator guesses a text column's validator from its name:
// email, email_address or *_email is an email address; slug or *_slug a
// slug.
func defaultValidator(c *introspect.Column) Validator {
	if c.Kind != introspect.KindText && c.Kind != introspect.KindLongText {
		return nil
	}
	n := strings.ToLower(c.Name)
	switch {
	case n == "email" || n == "email_address" || strings.HasSuffix(n, "_email"):
		return Email
	case n == "slug" || strings.HasSuffix(n, "_slug"):
		return Slug
	}
	return nil
}
