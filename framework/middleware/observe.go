package middleware

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"
)

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-ID"

// requestIDKeyCanonical is RequestIDHeader as net/http stores it in a
// Header map; reading and writing the map under it directly spares the
// canonicalising copy Header.Get and Header.Set would make per request.
const requestIDKeyCanonical = "X-Request-Id"

type infoKey struct{}

// info is what Observe learnt of a request, kept in its context.
type info struct {
	id       string
	clientIP string
}

// observed is one request under Observe: the response writer that
// remembers the status and body size for the access log, and the
// request's info, in one allocation.
type observed struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
	info     info
}

// Observe is the outer layer of a server, doing three things with one copy
// of the request:
//
//   - Request id: the incoming X-Request-ID when it is a plausible id (1–64
//     characters of letters, digits, '-', '_' and '.'), otherwise a new
//     random one; echoed in the response header and read by handlers with
//     [RequestIDFrom].
//   - Client address, read with [ClientIPFrom]: the connection's address
//     unless it is one of the trusted proxies; then X-Forwarded-For is read
//     from the right, skipping trusted proxies, and the first address that
//     is not one is the client (addresses further left were written by the
//     client itself and prove nothing). With no trusted proxies the header
//     is ignored.
//   - Access log: one line per request at Info level (Warn for 5xx):
//     method, path, status, bytes written, duration, client address and
//     request id.
//
// with, if not nil, adds the caller's own values to the request's context
// (the framework puts the database there), sparing another copy of the
// request per value.
func Observe(log *slog.Logger, trusted []netip.Prefix, with func(context.Context) context.Context) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		// The record's source is this call site, as Logger.LogAttrs would
		// find it; found once, not walked from the stack per request.
		var callSite atomic.Uintptr
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			o := &observed{ResponseWriter: w}
			if v := r.Header[requestIDKeyCanonical]; len(v) > 0 && validRequestID(v[0]) {
				o.info.id = v[0]
			} else {
				o.info.id = newRequestID()
			}
			w.Header()[requestIDKeyCanonical] = []string{o.info.id}
			if len(trusted) > 0 {
				o.info.clientIP = clientAddr(r, trusted)
			} else {
				o.info.clientIP = remoteHost(r.RemoteAddr)
			}
			ctx := r.Context()
			if with != nil {
				ctx = with(ctx)
			}
			next.ServeHTTP(o, r.WithContext(context.WithValue(ctx, infoKey{}, &o.info)))

			status := o.status
			if status == 0 && !o.hijacked {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			h := log.Handler()
			if !h.Enabled(ctx, level) {
				return
			}
			pc := callSite.Load()
			if pc == 0 {
				var pcs [1]uintptr
				runtime.Callers(1, pcs[:])
				pc = pcs[0]
				callSite.Store(pc)
			}
			end := time.Now()
			record := slog.NewRecord(end, level, "request", pc)
			record.AddAttrs(
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", o.bytes),
				slog.Duration("duration", end.Sub(start)),
				slog.String("remote", o.info.clientIP),
				slog.String("request_id", o.info.id),
			)
			if o.hijacked {
				// The handler took the connection (a WebSocket upgrade):
				// what it wrote there, the server never saw. Status 0 when
				// it wrote no header through the server.
				record.AddAttrs(slog.Bool("hijacked", true))
			}
			_ = h.Handle(ctx, record)
		})
	}
}

func (o *observed) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *observed) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	n, err := o.ResponseWriter.Write(b)
	o.bytes += int64(n)
	return n, err
}

// Hijack hands the connection to the handler, noting it for the log.
func (o *observed) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(o.ResponseWriter).Hijack()
	if err == nil {
		o.hijacked = true
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach Flush and friends.
func (o *observed) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// RequestIDFrom returns the request id [Observe] gave the request, or "".
func RequestIDFrom(ctx context.Context) string {
	if i, ok := ctx.Value(infoKey{}).(*info); ok {
		return i.id
	}
	return ""
}

// ClientIPFrom returns the client address [Observe] found for the
// request, or, for a request that did not pass through it, the address of
// the connection (without the port).
func ClientIPFrom(r *http.Request) string {
	if i, ok := r.Context().Value(infoKey{}).(*info); ok {
		return i.clientIP
	}
	return remoteHost(r.RemoteAddr)
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
