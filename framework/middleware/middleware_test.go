package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	var seen string
	h := Observe(quiet, nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestIDFrom(r.Context()) }))
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
	h := Observe(quiet, nil, nil)(Recover(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom-detail") })))
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
	h := Observe(log, nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// TestAccessLogHijacked: a handler that takes the connection (as a
// WebSocket upgrade does) is logged as hijacked, not as a 200 it never
// answered, whether it hijacks through a type assertion or through
// http.ResponseController.
func TestAccessLogHijacked(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{wrote: make(chan struct{}, 2)}
	log := slog.New(slog.NewTextHandler(logs, nil))
	h := Observe(log, nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var conn net.Conn
		var err error
		if r.URL.Path == "/assert" {
			conn, _, err = w.(http.Hijacker).Hijack()
		} else {
			conn, _, err = http.NewResponseController(w).Hijack()
		}
		if err != nil {
			t.Error(err)
			return
		}
		conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: close\r\n\r\n"))
		conn.Close()
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, path := range []string{"/assert", "/controller"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 101 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		<-logs.wrote // the record, written once the handler returned
	}
	out := logs.String()
	for _, path := range []string{"/assert", "/controller"} {
		if want := "path=" + path + " status=0"; !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "hijacked=true") != 2 || strings.Contains(out, "status=200") {
		t.Errorf("hijacked requests logged as:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines, which
// signals each write (one log record) on wrote.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.wrote <- struct{}{} }()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestRequestIDContext(t *testing.T) {
	t.Parallel()
	type otherKey struct{}
	var id string
	var other any
	type withKey struct{}
	var with any
	h := Observe(quiet, nil, func(ctx context.Context) context.Context {
		return context.WithValue(ctx, withKey{}, "with")
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, other, with = RequestIDFrom(r.Context()), r.Context().Value(otherKey{}), r.Context().Value(withKey{})
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req = req.WithContext(context.WithValue(req.Context(), otherKey{}, "outer"))
	h.ServeHTTP(rec, req)
	if len(id) != 24 || rec.Header().Get(RequestIDHeader) != id || rec.Header()["X-Request-Id"][0] != id {
		t.Errorf("id %q, header %q", id, rec.Header().Values(RequestIDHeader))
	}
	if other != "outer" || with != "with" {
		t.Errorf("context values: %v, %v", other, with)
	}
	if RequestIDFrom(context.Background()) != "" {
		t.Error("an id outside a request")
	}
	// A handler's own id wins inside it, as with nested context values.
	var inner string
	Observe(quiet, nil, nil)(Observe(quiet, nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = RequestIDFrom(r.Context())
	}))).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if inner == "" {
		t.Error("no id")
	}
}

func TestAccessLogJSONAndSource(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{AddSource: true}))
	h := Observe(log, nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }))
	for range 2 {
		req := httptest.NewRequest("GET", "/p?q=1", nil)
		req.Header.Set(RequestIDHeader, "rid-1")
		req.RemoteAddr = "192.0.2.7:1234"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines:\n%s", logs.String())
	}
	for _, line := range lines {
		var e struct {
			Level, Msg, Method, Path, Remote string
			Status                           int
			Bytes                            int64
			Duration                         int64
			RequestID                        string `json:"request_id"`
			Source                           struct {
				Function, File string
				Line           int
			}
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Level != "INFO" || e.Msg != "request" || e.Method != "GET" || e.Path != "/p" || e.Status != 200 || e.Bytes != 2 ||
			e.Remote != "192.0.2.7" || e.RequestID != "rid-1" || e.Duration <= 0 {
			t.Errorf("log line: %s", line)
		}
		if !strings.HasSuffix(e.Source.File, "observe.go") || !strings.Contains(e.Source.Function, "Observe") || e.Source.Line == 0 {
			t.Errorf("source: %+v", e.Source)
		}
	}
	// Below the handler's level nothing is logged.
	var silent bytes.Buffer
	Observe(slog.New(slog.NewJSONHandler(&silent, &slog.HandlerOptions{Level: slog.LevelError})), nil, nil)(http.NotFoundHandler()).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if silent.Len() != 0 {
		t.Errorf("logged below the level: %s", silent.String())
	}
}
