package framework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	pathpkg "path"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/signing"
)

// Option adjusts an [App] at construction.
type Option func(*App)

// WithLogger sets the logger. Default: JSON to stderr outside dev, text in dev.
func WithLogger(l *slog.Logger) Option { return func(a *App) { a.log = l } }

// WithShutdownTimeout bounds how long [App.Serve] waits for in-flight
// requests after the context ends; requests still running then have their
// contexts cancelled and their connections closed. Default: 15s.
func WithShutdownTimeout(d time.Duration) Option { return func(a *App) { a.shutdownTimeout = d } }

// WithDrainDelay makes [App.Serve] keep serving for d after the context
// ends, with /readyz answering 503, so a load balancer stops sending
// traffic before the listener closes. Default: 0 (close at once).
func WithDrainDelay(d time.Duration) Option { return func(a *App) { a.drainDelay = d } }

// App is a Quarry application: config, database, router and server.
type App struct {
	cfg             Config
	db              *Database
	keys            *signing.Keyring
	router          *http.ServeMux
	log             *slog.Logger
	shutdownTimeout time.Duration
	drainDelay      time.Duration
	middleware      []func(http.Handler) http.Handler // WrapRouter's
	use             []func(http.Handler) http.Handler // Use's
	draining        atomic.Bool
	closers         []func() error // OnClose's, run last first
}

// New validates cfg, opens the database and builds the router with the
// health endpoints. The caller closes the app.
func New(ctx context.Context, cfg Config, opts ...Option) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, shutdownTimeout: 15 * time.Second}
	for _, o := range opts {
		o(a)
	}
	if a.log == nil {
		a.log = defaultLogger(cfg)
	}
	db, err := openDatabase(ctx, cfg.databaseURL) // parsed by Validate, as OpenDatabase would
	if err != nil {
		return nil, err
	}
	a.db = db
	a.keys = cfg.Keys()
	a.router = http.NewServeMux()
	a.router.HandleFunc("GET /healthz", a.healthz) // GET patterns answer HEAD too
	a.router.HandleFunc("GET /readyz", a.readyz)
	return a, nil
}

func defaultLogger(cfg Config) *slog.Logger {
	if cfg.IsDev() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}

// Config returns the validated configuration.
func (a *App) Config() Config { return a.cfg }

// Router is the net/http ServeMux to mount handlers on, with its patterns
// ("GET /posts/{slug}", "/admin/"; read wildcards with r.PathValue). A
// request no pattern matches is answered by the app, not the ServeMux:
// 404, or 405 with Allow when only the method is wrong, as problem details
// (see [WriteError]).
func (a *App) Router() *http.ServeMux { return a.router }

// Database returns the app's database.
func (a *App) Database() *Database { return a.db }

// DB returns the app's pool.
func (a *App) DB() *sql.DB { return a.db.DB }

// URL returns the parsed DATABASE_URL (the Database's URL).
func (a *App) URL() *dialects.URL { return a.db.URL }

// Keys returns the keyring of QUARRY_SECRET_KEY (and its fallbacks), for
// signing what clients must hand back unchanged.
func (a *App) Keys() *signing.Keyring { return a.keys }

// WrapRouter wraps the router in mw, applied in the order given (the
// first is outermost), inside the standard middleware: after the request
// id, client address, access log, panic recovery and URL text check, and
// before the router matches the request. So a middleware given here may
// rewrite the request's path before routing (tenancy.Middleware strips
// its /t/<slug>/ prefix) or replace the database in the request's context
// (WithDatabase), and the request id, access log and recovery still cover
// it; the access log records the path as the client sent it. (Middleware
// added with [App.Use] runs only once a route has matched.) Call it
// before Handler, Serve or Run; it is a method rather than an Option
// because such a middleware is usually built on the app's database.
func (a *App) WrapRouter(mw ...func(http.Handler) http.Handler) {
	a.middleware = append(a.middleware, mw...)
}

// Use wraps the routes in mw, applied in the order given (the first is
// outermost), once a request has matched a route of the Router: a request
// answered 404 or 405 never reaches them. It is where the auth layer's
// Middleware goes (app.Use(a.Middleware)), inside WrapRouter's middleware
// (so after tenancy has put the tenant's database in the context),
// whichever was called first. Call it before Handler, Serve or Run.
func (a *App) Use(mw ...func(http.Handler) http.Handler) {
	a.use = append(a.use, mw...)
}

// Logger returns the app's logger.
func (a *App) Logger() *slog.Logger { return a.log }

// Handler is the router wrapped in the standard middleware, outermost
// first: the database in context, request id, client address (behind
// Config.TrustedProxies), access log, panic recovery, URL text check (see
// package textinput), then the app's own (WrapRouter), the answer to
// requests no route matches, and the app's route middleware (Use).
func (a *App) Handler() http.Handler {
	var h http.Handler = a.routes()
	for i := len(a.middleware) - 1; i >= 0; i-- {
		h = a.middleware[i](h)
	}
	h = urlTextMiddleware(h)
	h = middleware.Recover(a.log)(h)
	return middleware.Observe(a.log, a.cfg.TrustedProxies, func(ctx context.Context) context.Context {
		return WithDatabase(ctx, a.db)
	})(h)
}

// routes is the Router behind Use's middleware, for requests that match
// one of its patterns; the others get a problem details 404 or 405.
func (a *App) routes() http.Handler {
	var matched http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if base := BasePath(r.Context()); base != "" {
			w = &baseRedirect{ResponseWriter: w, r: r, base: base}
		}
		a.router.ServeHTTP(w, r)
	})
	for i := len(a.use) - 1; i >= 0; i-- {
		matched = a.use[i](matched)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := a.router.Handler(r)
		if pattern == "" {
			noRoute(w, r, h)
			return
		}
		matched.ServeHTTP(w, r)
	})
}

// baseRedirect puts the base path in front of the ServeMux's own
// redirects (a subtree's path without its slash, an uncleaned path) of a
// request served under a base path (see [WithBasePath]), which the
// ServeMux, seeing the stripped path, would send outside it. They are
// told apart from a handler's own redirect (left as the handler wrote it:
// base-path-aware handlers prefix theirs) by their target: the request's
// path with a slash added (a subtree's), or cleaned (an uncleaned path).
type baseRedirect struct {
	http.ResponseWriter
	r    *http.Request // the request the ServeMux matched, in place
	base string
}

func (b *baseRedirect) WriteHeader(code int) {
	if code == http.StatusMovedPermanently || code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect {
		h := b.ResponseWriter.Header()
		loc := h.Get("Location")
		path, _, _ := strings.Cut(loc, "?")
		req := b.r.URL.EscapedPath()
		if strings.HasPrefix(path, "/") && (path == req+"/" || path == cleanPath(req)+"/" || path != req && path == cleanPath(req)) {
			h.Set("Location", b.base+loc)
		}
	}
	b.ResponseWriter.WriteHeader(code)
}

// cleanPath is p as the ServeMux cleans it: path.Clean, keeping a
// trailing slash.
func cleanPath(p string) string {
	c := pathpkg.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// Unwrap lets http.ResponseController reach Flush and friends.
func (b *baseRedirect) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// MuxHandler serves mux, answering a request that none of its patterns
// matches as the App's router does: a problem details 404, or 405 with
// the Allow header. For sub-routers (a feature's API) mounted on the App.
func MuxHandler(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := mux.Handler(r); pattern == "" {
			noRoute(w, r, h)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// noRoute answers a request no pattern matched: the ServeMux's own answer
// h (404, or 405 with the Allow header) is played into a recorder for its
// status and Allow header, and answered as problem details.
func noRoute(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		if allow := rec.header.Values("Allow"); len(allow) > 0 {
			w.Header()["Allow"] = allow
		}
		WriteError(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	WriteError(w, r, http.StatusNotFound, "not found")
}

// headerRecorder keeps a response's headers and status and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

// OnClose registers fn to run when the app is closed, before the
// database pool is (the last registered runs first): for what features
// open beside the app, such as its disks.
func (a *App) OnClose(fn func() error) { a.closers = append(a.closers, fn) }

// Close runs the OnClose functions, then closes the database pool, and
// returns their errors joined.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(append(errs, a.db.DB.Close())...)
}

// Run serves on the configured address until SIGINT or SIGTERM (or ctx
// ends), then shuts down gracefully. A second signal during the shutdown
// stops the process at once.
func (a *App) Run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore the default handlers: a second signal kills
	}()
	ln, err := net.Listen("tcp", a.cfg.Bind)
	if err != nil {
		return fmt.Errorf("listen on %s (QUARRY_BIND): %w", a.cfg.Bind, err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then reports not ready, waits the
// drain delay, stops accepting, and waits up to the shutdown timeout for
// in-flight requests. Requests still running after that have their
// contexts cancelled and their connections closed, and Serve returns an
// error saying so.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	// Request contexts carry ctx's values but not its cancellation: ending
	// ctx starts a graceful shutdown, it does not abort requests.
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "env", a.cfg.Env, "database", a.db.URL.String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.draining.Store(true)
	if a.drainDelay > 0 {
		a.log.Info("draining", "delay", a.drainDelay)
		time.Sleep(a.drainDelay)
	}
	a.log.Info("shutting down", "timeout", a.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		cancelRequests()
		closeErr := srv.Close()
		<-errc
		return errors.Join(fmt.Errorf("graceful shutdown: requests still running after %s were cancelled: %w", a.shutdownTimeout, err), closeErr)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

func (a *App) healthz(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the database answers within two seconds, 503
// otherwise or while the server drains.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.db.DB.PingContext(ctx); err != nil {
		a.log.WarnContext(r.Context(), "readiness check failed", "error", err,
			"request_id", middleware.RequestIDFrom(r.Context()))
		WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": string(a.db.Dialect.Name())})
}
