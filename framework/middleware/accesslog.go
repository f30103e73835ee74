package middleware

import (
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
)

// AccessLog logs one line per request at Info level (Warn for 5xx): method,
// path, status, bytes written, duration and request id.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		// The record's source is this call site, as Logger.LogAttrs would
		// find it; found once, not walked from the stack per request.
		var callSite atomic.Uintptr
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			ctx := r.Context()
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
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", end.Sub(start)),
				slog.String("remote", ClientIPFrom(r)),
				slog.String("request_id", RequestIDFrom(ctx)),
			)
			_ = h.Handle(ctx, record)
		})
	}
}

// statusRecorder remembers the status code and body size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and friends.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
