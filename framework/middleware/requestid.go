package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-ID"

// requestIDKeyCanonical is RequestIDHeader as net/http stores it in a
// Header map; reading and writing the map under it directly spares the
// canonicalising copy Header.Get and Header.Set would make per request.
const requestIDKeyCanonical = "X-Request-Id"

type requestIDKey struct{}

// RequestID gives every request an id: the incoming X-Request-ID when it is
// a plausible id (1–64 characters of letters, digits, '-', '_' and '.'),
// otherwise a new random one. The id is echoed in the response header and
// available to handlers through [RequestIDFrom].
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header[requestIDKeyCanonical]; len(v) > 0 && validRequestID(v[0]) {
			id = v[0]
		} else {
			id = newRequestID()
		}
		w.Header()[requestIDKeyCanonical] = []string{id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// RequestIDFrom returns the request id stored by [RequestID], or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	var s [24]byte
	hex.Encode(s[:], b[:])
	return string(s[:])
}

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
