package framework

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestURLTextMiddleware(t *testing.T) {
	t.Parallel()
	h := urlTextMiddleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, c := range []struct {
		target string
		status int
		says   string
	}{
		{"/api/posts/hello", 204, ""},
		{"/api/posts?limit=10&q=a+b&tag=x", 204, ""},
		{"/api/posts/caf%C3%A9?q=%C3%A9t%C3%A9", 204, ""},
		{"/api/posts?q=%zz", 204, ""}, // undecodable: the handler says what it expected
		{"/api/posts/%00", 400, "the URL path contains a NUL byte"},
		{"/api/posts/%ff", 400, "the URL path is not valid UTF-8"},
		{"/api/posts/%ed%a0%80", 400, "the URL path is not valid UTF-8"},
		{"/admin/t/lookup?q=%00", 400, `query parameter \"q\" contains a NUL byte`},
		{"/admin/t/?q=%c0%af", 400, `query parameter \"q\" is not valid UTF-8`},
		{"/admin/t/?%ff=1", 400, "a query parameter name is not valid UTF-8"},
		{"/admin/t/?a=1&b=x%00y", 400, `query parameter \"b\" contains a NUL byte`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", c.target, nil))
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.says) {
			t.Errorf("%s: %d %s; want %d saying %q", c.target, rec.Code, rec.Body.String(), c.status, c.says)
		}
		if c.status == 400 && rec.Header().Get("Content-Type") != ProblemContentType {
			t.Errorf("%s: answered as %q", c.target, rec.Header().Get("Content-Type"))
		}
	}
}
