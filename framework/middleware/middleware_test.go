package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	var seen string
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestIDFrom(r.Context()) }))
	for _, tt := range []struct {
		in   string
		keep bool
	}{
		{"abc-123_x.y", true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"has space", false},
		{"<script>", false},
		{"ünïcode", false},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if tt.in != "" {
			req.Header.Set(RequestIDHeader, tt.in)
		}
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(RequestIDHeader)
		if got != seen || got == "" {
			t.Errorf("in %q: header %q, context %q", tt.in, got, seen)
		}
		if (got == tt.in) != tt.keep {
			t.Errorf("in %q: got %q, keep=%v", tt.in, got, tt.keep)
		}
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := RequestID(Recover(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom-detail") })))
	for _, accept := range []string{"", "application/json"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Accept", accept)
		h.ServeHTTP(rec, req)
		if rec.Code != 500 || strings.Contains(rec.Body.String(), "kaboom") {
			t.Errorf("accept %q: %d %q", accept, rec.Code, rec.Body.String())
		}
		if accept != "" && (rec.Header().Get("Content-Type") != "application/problem+json" || !json.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), `"status":500`)) {
			t.Errorf("JSON client got %q %s", rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
	if !strings.Contains(logs.String(), "kaboom-detail") || !strings.Contains(logs.String(), "stack=") {
		t.Errorf("log lacks panic and stack: %s", logs.String())
	}

	abort := Recover(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler not re-raised: %v", v)
		}
	}()
	abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := AccessLog(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
		}
		w.Write([]byte("hello"))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/fail", nil))
	out := logs.String()
	for _, want := range []string{"level=INFO msg=request method=GET path=/ok status=200 bytes=5", "level=WARN msg=request method=POST path=/fail status=503"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
