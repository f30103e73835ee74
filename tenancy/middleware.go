package tenancy

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/middleware"
)

// Options configures [Middleware].
type Options struct {
	// Lookup finds tenants: the Registry, best wrapped in a Cache.
	// Required.
	Lookup Lookup
	// Pools opens and keeps the tenants' databases. Required.
	Pools *Pools
	// Resolvers name the tenant of a request, asked in order (see
	// Resolver), e.g. DefaultResolvers("example.com"). Required.
	Resolvers []Resolver
	// ApexHosts are the host names (lower case, no port) of the app itself,
	// the operator side. A request for which no resolver names a tenant is
	// served as the apex (with the main database, no tenant in its context)
	// only when its host is one of these; on any other host it is an
	// unknown host and answered 404. Empty: every such request is the
	// apex.
	ApexHosts []string
	// NoApex answers 404 to every request that names no tenant, on any
	// host: an app that serves only tenants.
	NoApex bool
	// Logger receives lookup and pool errors. Default slog.Default().
	Logger *slog.Logger
	// SharedTables are the app's tables that live once, in the main
	// database (a product catalogue, plans), rather than per tenant. A
	// handler in a tenant request reaches them through Shared(ctx);
	// HideSharedTables leaves them out of a tenant's admin. Every table,
	// shared or not, is created by the one migration set in the main
	// database and in every tenant's, so the shared tables exist, empty,
	// in each tenant's database too.
	SharedTables []string
}

// Middleware resolves each request's tenant and serves the request inside
// it: the tenant in the context (From) and its database as the request's
// database (framework.DatabaseFrom), so the admin, auth, sessions and
// the app's typed queries work unchanged, on the tenant's data. Mount it
// with app.WrapRouter, so that a path prefix is stripped before routing.
//
// A request naming an unknown or suspended tenant, or an unknown host, is
// answered 404 (a problem JSON to a client that accepts JSON, else a
// small HTML page); it is never served from another tenant's database or
// the main one. A request naming no tenant on an apex host passes through
// untouched, with the main database (unless NoApex). In a tenant request
// the main database stays reachable through Shared, for the app's shared
// tables (Options.SharedTables).
func Middleware(opts Options) (func(http.Handler) http.Handler, error) {
	if opts.Lookup == nil {
		return nil, errors.New("tenancy: Options.Lookup is required")
	}
	if opts.Pools == nil {
		return nil, errors.New("tenancy: Options.Pools is required")
	}
	if len(opts.Resolvers) == 0 {
		return nil, errors.New("tenancy: Options.Resolvers is empty (e.g. tenancy.DefaultResolvers(\"example.com\"))")
	}
	apex := make(map[string]bool, len(opts.ApexHosts))
	for _, h := range opts.ApexHosts {
		host, _, ok := parseHost(h)
		if !ok {
			return nil, fmt.Errorf("tenancy: apex host %q is not a host name", h)
		}
		apex[host] = true
	}
	sharedTables := slices.Clone(opts.SharedTables)
	for _, name := range sharedTables {
		if name == "" {
			return nil, errors.New("tenancy: Options.SharedTables has an empty name")
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, r2, err := resolve(opts.Resolvers, opts.Lookup, r)
			switch {
			case errors.Is(err, ErrNoTenant) || errors.Is(err, ErrSuspended):
				log.DebugContext(r.Context(), "tenancy: no tenant", "reason", err.Error(), "request_id", middleware.RequestIDFrom(r.Context()))
				NotFound(w, r)
				return
			case err != nil:
				framework.ServerError(w, r, log, "tenancy: resolve tenant", err)
				return
			case t == nil:
				if opts.NoApex {
					NotFound(w, r)
					return
				}
				if len(apex) > 0 {
					if host, _, _ := Host(r); !apex[host] {
						NotFound(w, r)
						return
					}
				}
				next.ServeHTTP(w, r)
				return
			case t.Status != StatusActive:
				NotFound(w, r)
				return
			}
			d, release, err := opts.Pools.Acquire(r.Context(), t)
			if err != nil {
				framework.ServerError(w, r, log, "tenancy: open tenant database", err)
				return
			}
			defer release()
			ctx := context.WithValue(r2.Context(), sharedKey{}, &shared{db: framework.DatabaseFrom(r2.Context()), tables: sharedTables})
			ctx = framework.WithDatabase(WithTenant(ctx, t), d)
			next.ServeHTTP(w, r2.WithContext(ctx))
		})
	}, nil
}

// resolve asks the resolvers in order.
func resolve(rs []Resolver, l Lookup, r *http.Request) (*Tenant, *http.Request, error) {
	for _, res := range rs {
		t, r2, err := res.Resolve(r, l)
		if err != nil {
			return nil, r, err
		}
		if t != nil {
			if r2 == nil {
				r2 = r
			}
			return t, r2, nil
		}
	}
	return nil, r, nil
}

// NotFound answers 404 for a request that names no tenant this app
// serves: a problem JSON (framework.WriteError) to a client that accepts
// JSON or sent it, else a small HTML page. It says nothing about why
// (unknown, suspended, malformed), so that tenants cannot be probed.
func NotFound(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		framework.WriteError(w, r, http.StatusNotFound, "no such site")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>\n"+
		"<body><h1>Not found</h1><p>There is no site at %s.</p><p>Request %s</p></body></html>\n",
		html.EscapeString(truncate(r.Host)), html.EscapeString(middleware.RequestIDFrom(r.Context())))
}

// wantsJSON reports a client that asked for JSON rather than HTML, or sent
// JSON.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if (strings.Contains(accept, "application/json") || strings.Contains(accept, "+json")) && !strings.Contains(accept, "text/html") {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}
