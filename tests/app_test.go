package tests

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newApp(t *testing.T, db *dbtest.DB, logs io.Writer) *framework.App {
	t.Helper()
	app, err := framework.New(context.Background(), framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.NewTextHandler(logs, nil))), framework.WithShutdownTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// TestAppEndpoints checks the framework router on every dialect: health,
// readiness against the database, request ids, panic recovery, 404/405,
// the database in the request context and the access log.
func TestAppEndpoints(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		logs := &syncBuffer{}
		app := newApp(t, db, logs)
		app.Router().HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("secret panic detail") })
		app.Router().HandleFunc("/dialect", func(w http.ResponseWriter, r *http.Request) {
			d := framework.DatabaseFrom(r.Context())
			var one int
			if err := d.DB.QueryRowContext(r.Context(), "SELECT 1").Scan(&one); err != nil {
				framework.WriteError(w, r, 500, "db")
				return
			}
			framework.WriteJSON(w, 200, map[string]any{"dialect": d.Dialect.Name(), "one": one})
		})
		srv := httptest.NewServer(app.Handler())
		defer srv.Close()

		for _, s := range []scenario{
			{name: "healthz", method: "GET", path: "/healthz", status: 200, contains: []string{`"status":"ok"`}},
			{name: "readyz", method: "GET", path: "/readyz", status: 200, contains: []string{`"status":"ready"`, `"database":"` + string(db.Name) + `"`}},
			{name: "db in context", method: "GET", path: "/dialect", status: 200, contains: []string{`"dialect":"` + string(db.Name) + `"`, `"one":1`}},
			{name: "not found", method: "GET", path: "/nope", status: 404, contains: []string{`"error":"not found"`, `"request_id":"`}},
			{name: "method not allowed", method: "POST", path: "/healthz", body: "{}", status: 405},
			{name: "panic", method: "GET", path: "/boom", status: 500, contains: []string{"Internal server error. Request id: "}, absent: []string{"secret panic detail"}},
		} {
			s.run(t, srv.URL)
		}

		// JSON clients get a JSON 500.
		req, _ := http.NewRequest("GET", srv.URL+"/boom", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set(middleware.RequestIDHeader, "client-id-42")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != framework.ProblemContentType ||
			!strings.Contains(string(body), `"request_id":"client-id-42"`) || resp.Header.Get(middleware.RequestIDHeader) != "client-id-42" {
			t.Errorf("JSON panic response %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		// A hostile request id is replaced, not echoed.
		req, _ = http.NewRequest("GET", srv.URL+"/healthz", nil)
		req.Header.Set(middleware.RequestIDHeader, "<script>"+strings.Repeat("x", 100))
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if id := resp.Header.Get(middleware.RequestIDHeader); id == "" || strings.Contains(id, "<") || len(id) > 64 {
			t.Errorf("request id %q was not replaced", id)
		}
		// The panic's detail and stack are in the log, with the request id.
		if l := logs.String(); !strings.Contains(l, "secret panic detail") || !strings.Contains(l, "client-id-42") || !strings.Contains(l, "path=/healthz status=200") {
			t.Errorf("log lacks the panic or the access line:\n%s", l)
		}

		// Readiness fails when the database is gone.
		app.DB().Close()
		scenario{name: "readyz without db", method: "GET", path: "/readyz", status: 503, contains: []string{`"status":"unavailable"`}}.run(t, srv.URL)
	})
}

// TestAppGracefulShutdown cancels the serving context while a request is in
// flight: the request completes, new connections are refused, Serve
// returns nil.
func TestAppGracefulShutdown(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, "sqlite")
	app := newApp(t, db, io.Discard)
	started, release := make(chan struct{}), make(chan struct{})
	app.Router().HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		framework.WriteJSON(w, 200, map[string]string{"done": "yes"})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel()
	// Once Shutdown has closed the listener, new requests are refused.
	refused := false
	for deadline := time.Now().Add(10 * time.Second); !refused && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := (&http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Get(base + "/healthz")
		if err != nil {
			refused = true
		} else {
			resp.Body.Close()
		}
	}
	if !refused {
		t.Error("new requests still accepted 10 s into shutdown")
	}
	close(release)
	r := <-slow
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, "yes") {
		t.Errorf("in-flight request: %+v", r)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
}

// TestAppShutdownTimeout: a request that outlives the shutdown timeout has
// its context cancelled, and Serve says so instead of returning quietly.
func TestAppShutdownTimeout(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, "sqlite")
	app, err := framework.New(context.Background(), framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest},
		framework.WithLogger(slog.New(slog.DiscardHandler)), framework.WithShutdownTimeout(200*time.Millisecond),
		framework.WithDrainDelay(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	started, cancelled := make(chan struct{}), make(chan struct{})
	app.Router().HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(cancelled)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	go func() {
		if resp, err := http.Get(base + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	// During the drain delay the server still answers, but not ready.
	status := 0
	for deadline := time.Now().Add(2 * time.Second); status != http.StatusServiceUnavailable && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("readyz during drain: %v", err)
		}
		resp.Body.Close()
		status = resp.StatusCode
	}
	if status != http.StatusServiceUnavailable {
		t.Errorf("readyz during drain = %d; want 503", status)
	}
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck request's context was never cancelled")
	}
	if err := <-served; err == nil || !strings.Contains(err.Error(), "requests still running after 200ms were cancelled") {
		t.Errorf("Serve = %v", err)
	}
}
