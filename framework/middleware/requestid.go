package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"reflect"
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
func RequestID(next http.Handler) http.Handler { return RequestIDWith(nil, nil)(next) }

// RequestIDWith is [RequestID] that also puts val under key in the
// request's context, in the same context value as the id (one allocation
// and one request copy instead of two); ctx.Value(key) returns val. A nil
// key adds nothing. The App uses it for the database handle.
func RequestIDWith(key, val any) func(http.Handler) http.Handler {
	if key != nil && !reflect.TypeOf(key).Comparable() {
		panic("middleware.RequestIDWith: key is not comparable")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var id string
			if v := r.Header[requestIDKeyCanonical]; len(v) > 0 && validRequestID(v[0]) {
				id = v[0]
			} else {
				id = newRequestID()
			}
			c := &requestContext{Context: r.Context(), id: id, key: key, val: val}
			c.header[0] = id
			w.Header()[requestIDKeyCanonical] = c.header[:]
			next.ServeHTTP(w, r.WithContext(c))
		})
	}
}

// requestContext carries the request id and at most one other value.
// Value(requestIDKey{}) is the *requestContext itself (a string would be
// boxed per lookup); header backs the response header's value, sparing an
// allocation of its own.
type requestContext struct {
	context.Context
	id       string
	key, val any
	header   [1]string
}

func (c *requestContext) Value(key any) any {
	if _, ok := key.(requestIDKey); ok {
		return c
	}
	if c.key != nil && key == c.key {
		return c.val
	}
	return c.Context.Value(key)
}

// RequestIDFrom returns the request id stored by [RequestID], or "".
func RequestIDFrom(ctx context.Context) string {
	if c, ok := ctx.Value(requestIDKey{}).(*requestContext); ok {
		return c.id
	}
	return ""
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
