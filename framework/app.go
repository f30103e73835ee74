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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/mux"

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
	router          *mux.Router
	log             *slog.Logger
	shutdownTimeout time.Duration
	drainDelay      time.Duration
	middleware      []func(http.Handler) http.Handler
	draining        atomic.Bool
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
	a.router = mux.NewRouter()
	a.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, http.StatusNotFound, "not found")
	})
	a.router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, http.StatusMethodNotAllowed, "method not allowed")
	})
	a.router.HandleFunc("/healthz", a.healthz).Methods(http.MethodGet, http.MethodHead)
	a.router.HandleFunc("/readyz", a.readyz).Methods(http.MethodGet, http.MethodHead)
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

// Router is the gorilla/mux router to mount handlers on.
func (a *App) Router() *mux.Router { return a.router }

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
// added with Router().Use runs only once a route has matched.) Call it
// before Handler, Serve or Run; it is a method rather than an Option
// because such a middleware is usually built on the app's database.
func (a *App) WrapRouter(mw ...func(http.Handler) http.Handler) {
	a.middleware = append(a.middleware, mw...)
}

// Logger returns the app's logger.
func (a *App) Logger() *slog.Logger { return a.log }

// Handler is the router wrapped in the standard middleware, outermost
// first: the database in context, request id, client address (behind
// Config.TrustedProxies), access log, panic recovery, URL text check (see
// package textinput), then the app's own (WrapRouter).
func (a *App) Handler() http.Handler {
	var h http.Handler = a.router
	for i := len(a.middleware) - 1; i >= 0; i-- {
		h = a.middleware[i](h)
	}
	h = urlTextMiddleware(h)
	h = middleware.Recover(a.log)(h)
	h = middleware.AccessLog(a.log)(h)
	h = middleware.ClientIP(a.cfg.TrustedProxies)(h)
	h = middleware.RequestID(h)
	h = databaseMiddleware(a.db)(h)
	return h
}

// Close closes the database pool.
func (a *App) Close() error { return a.db.DB.Close() }

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
