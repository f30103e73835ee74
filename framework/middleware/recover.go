package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
)

// Recover turns a panic in a handler into a 500 response and an Error log
// line with the stack. The client sees only a generic message and the
// request id to quote, never the panic value. http.ErrAbortHandler is
// re-raised, as net/http expects.
func Recover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				id := RequestIDFrom(r.Context())
				log.ErrorContext(r.Context(), "panic in handler",
					"panic", fmt.Sprint(v), "method", r.Method, "path", r.URL.Path,
					"request_id", id, "stack", string(debug.Stack()))
				if strings.Contains(r.Header.Get("Accept"), "application/json") {
					// RFC 9457 problem details, as framework.WriteError writes them.
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprintf(w, `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal server error","error":"internal server error","request_id":%q}`+"\n", id)
					return
				}
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprintf(w, "Internal server error. Request id: %s\n", id)
			}()
			next.ServeHTTP(w, r)
		})
	}
}
