package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quarry-go/quarry/framework"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// counts the stack's work and not a recorder's.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkStack measures, without a database or a network, the CPU and
// allocations the default App stack adds to one request: the same handler
// (a small JSON answer) behind net/http's ServeMux (the baseline) and
// behind app.Handler(), with and without the access log.
//
//	go test -run '^$' -bench Stack -benchmem ./bench/stack/
func BenchmarkStack(b *testing.B) {
	payload := []Item{{ID: 1, Title: "Item number 1", Body: "Some body text for the item."}}
	h := func(w http.ResponseWriter, r *http.Request) { framework.WriteJSON(w, http.StatusOK, payload) }
	std := http.NewServeMux()
	std.HandleFunc("GET /items", h)
	newApp := func(level slog.Level) *framework.App {
		logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level}))
		app, err := framework.New(context.Background(), framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvTest}, framework.WithLogger(logger))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { app.Close() })
		app.Router().HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
			if framework.DatabaseFrom(r.Context()) == nil {
				b.Fatal("no database in the context")
			}
			h(w, r)
		})
		return app
	}
	app, quiet := newApp(slog.LevelInfo), newApp(slog.LevelWarn)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"servemux", std}, {"app", app.Handler()}, {"app-no-access-log", quiet.Handler()}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/items", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
