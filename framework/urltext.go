package framework

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/quarry-go/quarry/framework/textinput"
)

// urlTextMiddleware answers 400 to a request whose decoded path or query
// holds text no database may receive (a NUL byte, invalid UTF-8; see
// package textinput), so that no handler has to repeat the check for its
// path variables and query parameters. A query string that does not
// decode is left to the handler, which says what it expected.
func urlTextMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkURLText(r.URL); err != nil {
			WriteError(w, r, http.StatusBadRequest, err.Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}

func checkURLText(u *url.URL) error {
	if err := textinput.Check("the URL path", u.Path, 0); err != nil {
		return err
	}
	if plainASCII(u.RawQuery) {
		return nil // decodes to itself (and spaces): nothing to refuse
	}
	q, _ := url.ParseQuery(u.RawQuery) // keeps what decodes
	for k, vs := range q {
		if err := textinput.Check("a query parameter name", k, 0); err != nil {
			return err
		}
		for _, v := range vs {
			if err := textinput.Check("query parameter "+strconv.Quote(k), v, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// plainASCII reports whether s has no escapes, NUL or non-ASCII bytes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == 0 || c >= 0x80 {
			return false
		}
	}
	return true
}
