// Package admin is Quarry's auto-admin: every table of the database,
// listed, searched, filtered and edited in the browser by staff users,
// with no per-table code.
//
// The schema is the source of truth. [New] introspects the database
// (tables, columns, types, nullability, defaults, keys, indexes) and builds
// the pages from it; [Options] refine tables in Go; [Admin.Reload] reads
// the schema again after a migration. Every table and column name that
// arrives in a URL or a form is checked against the introspected schema,
// and every value is a bound parameter.
//
// Inside a tenant (package tenancy) the admin serves the request's
// database (framework.DatabaseFrom) with the schema introspected once per
// dialect (tenants are migrated from one set), never shows the tenancy
// registry's tables, and keeps the request's base path
// (framework.BasePath, /t/acme) in front of every link, form action and
// redirect; [Options.Branding] names, colours and illustrates it per
// request.
//
// Pages need a logged-in, active staff user. The permissions
// "<table>.view", "<table>.add", "<table>.change" and "<table>.delete" of
// the identity layer decide what each user sees and may do (superusers may
// do everything); change implies view. Every write is recorded in the
// audit log with the values before and after.
//
// With [Options.Media] the admin adds a media library at <prefix>/media/
// (uploads, a grid of the files with thumbnails, each file's page, the
// trash) on framework/media's service, and a picker for every foreign
// key to quarry_media(id); see docs/admin.md.
//
//	adm, err := admin.New(ctx, app, admin.Options{Auth: a})
//	app.Router().Handle("/admin/", adm)
package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/middleware"
)

// staticDir is where the stylesheet and script are served, under the
// prefix; "-" cannot be an unquoted table name.
const staticDir = "/-/static/"

// Admin is the admin site, an http.Handler.
type Admin struct {
	opts   Options
	log    *slog.Logger
	db     *framework.Database // introspected: Options.Schema or the app's
	prefix string
	// versionKey keys the rows' versions (records.Table.VersionKey),
	// from the app's secret key.
	versionKey []byte
	state      atomic.Pointer[siteState]
	handler    http.Handler
	pages      *pages

	// others are the schemas of the dialects other than db's, each
	// introspected from the first request served on a database of that
	// dialect (a tenant on another kind of server), dropped by Reload.
	othersMu sync.Mutex
	others   map[dialects.Name]*siteState
}

// siteState is one introspection of the schema and the models built on it.
type siteState struct {
	dialect dialects.Name
	schema  *introspect.Schema
	models  map[string]*model
	order   []*model // by group, then label
}

// New introspects app's database (or Options.Schema) and returns the
// admin. It fails when an option names a table or column the schema does
// not have.
func New(ctx context.Context, app *framework.App, opts Options) (*Admin, error) {
	if opts.Auth == nil {
		return nil, errors.New("admin: Options.Auth is required")
	}
	if opts.Prefix == "" {
		opts.Prefix = "/admin"
	}
	opts.Prefix = "/" + strings.Trim(opts.Prefix, "/")
	if opts.Title == "" {
		opts.Title = "Quarry admin"
	}
	a := &Admin{opts: opts, log: opts.Logger, db: app.Database(), prefix: opts.Prefix, versionKey: app.Keys().Sign("records.version", nil)}
	if opts.Schema != nil {
		a.db = opts.Schema
	}
	if a.log == nil {
		a.log = app.Logger()
	}
	if err := checkReports(opts.Reports); err != nil {
		return nil, err
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	a.pages = p
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	pre := a.prefix
	mux.Handle("GET "+pre+"/{$}", a.page((*request).index))
	mux.Handle("GET "+pre+"/{table}/{$}", a.tablePage("view", (*request).list))
	mux.Handle("POST "+pre+"/{table}/{$}", a.tablePage("view", (*request).bulk))
	mux.Handle("GET "+pre+"/{table}/export.csv", a.tablePage("view", (*request).export))
	mux.Handle("GET "+pre+"/{table}/lookup", a.tablePage("view", (*request).lookup))
	mux.Handle("GET "+pre+"/{table}/add/{$}", a.tablePage("add", (*request).addForm))
	mux.Handle("POST "+pre+"/{table}/add/{$}", a.tablePage("add", (*request).addSave))
	mux.Handle("GET "+pre+"/{table}/{key}/{$}", a.tablePage("view", (*request).redirectToChange))
	mux.Handle("GET "+pre+"/{table}/{key}/change/{$}", a.tablePage("view", (*request).changeForm))
	mux.Handle("POST "+pre+"/{table}/{key}/change/{$}", a.tablePage("change", (*request).changeSave))
	mux.Handle("GET "+pre+"/{table}/{key}/delete/{$}", a.tablePage("delete", (*request).deleteConfirm))
	mux.Handle("POST "+pre+"/{table}/{key}/delete/{$}", a.tablePage("delete", (*request).deleteRow))
	mux.Handle("GET "+pre+"/{table}/{key}/history/{$}", a.tablePage("view", (*request).history))
	mux.Handle("GET "+pre+"/{table}/{key}/password/{$}", a.tablePage("change", (*request).password))
	mux.Handle("POST "+pre+"/{table}/{key}/password/{$}", a.tablePage("change", (*request).password))
	mux.Handle(pre+"/", a.page(func(rq *request) { rq.fail(http.StatusNotFound, "There is no such page in the admin.") }))
	static := http.StripPrefix(pre+staticDir, staticHandler())
	pages := opts.Auth.Middleware(mux)
	// The media library has a mux of its own: its /media/{id}/ and the
	// tables' /{table}/add/ cannot share one.
	var library http.Handler
	if opts.Media != nil {
		library = opts.Auth.Middleware(a.mediaRoutes())
	}
	a.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == pre:
			http.Redirect(w, r, framework.BasePath(r.Context())+pre+"/", http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, pre+staticDir) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			static.ServeHTTP(w, r)
		case library != nil && strings.HasPrefix(r.URL.Path, pre+"/"+mediaPath+"/"):
			library.ServeHTTP(w, r)
		default:
			pages.ServeHTTP(w, r)
		}
	})
	return a, nil
}

// Reload introspects the database again, after a migration changed it
// (and forgets the schemas of other dialects, read again on their next
// request). Requests in flight finish on the schema they started with.
func (a *Admin) Reload(ctx context.Context) error {
	st, err := a.load(ctx, a.db)
	if err != nil {
		return err
	}
	a.othersMu.Lock()
	a.others = nil
	a.state.Store(st)
	a.othersMu.Unlock()
	return nil
}

// stateFor returns the schema for a request served on d: the introspected
// one when d has its dialect, else the one of d's dialect, introspected
// from d on first use.
func (a *Admin) stateFor(ctx context.Context, d *framework.Database) (*siteState, error) {
	st := a.state.Load()
	name := d.Dialect.Name()
	if name == st.dialect {
		return st, nil
	}
	a.othersMu.Lock()
	defer a.othersMu.Unlock()
	if o := a.others[name]; o != nil {
		return o, nil
	}
	o, err := a.load(ctx, d)
	if err != nil {
		return nil, err
	}
	if a.others == nil {
		a.others = map[dialects.Name]*siteState{}
	}
	a.others[name] = o
	return o, nil
}

// without returns st less the tables named in ex (st itself when it has
// none of them), for one request.
func (st *siteState) without(ex []string) *siteState {
	if !slices.ContainsFunc(ex, func(name string) bool { return st.models[name] != nil }) {
		return st
	}
	o := &siteState{dialect: st.dialect, schema: st.schema, models: make(map[string]*model, len(st.models))}
	for _, m := range st.order {
		if !slices.Contains(ex, m.Name) {
			o.models[m.Name] = m
			o.order = append(o.order, m)
		}
	}
	return o
}

// load introspects d and builds the models, leaving out hidden and
// excluded tables.
func (a *Admin) load(ctx context.Context, d *framework.Database) (*siteState, error) {
	s, err := introspect.Load(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if err := checkOptions(s, a.opts.Tables); err != nil {
		return nil, err
	}
	withMedia := a.opts.Media != nil
	st := &siteState{dialect: d.Dialect.Name(), schema: s, models: map[string]*model{}}
	for _, t := range slices.Concat(s.Tables, s.Views) {
		cfg := configFor(t.Name, a.opts.Tables)
		if withMedia {
			cfg = mediaConfig(t.Name, cfg)
		}
		if cfg.Hidden || slices.Contains(a.opts.ExcludeTables, t.Name) {
			continue
		}
		m, err := newModel(t, cfg, !a.opts.NoDefaultValidators)
		if err != nil {
			return nil, err
		}
		m.VersionKey = a.versionKey
		m.managed = withMedia && slices.Contains(mediaManaged, t.Name)
		st.models[t.Name] = m
		st.order = append(st.order, m)
	}
	if m, ok := st.models[reportsPath]; ok && len(a.opts.Reports) > 0 {
		return nil, fmt.Errorf("admin: the reports (Options.Reports) are served at %s/%s/, the address of table %s: exclude or hide the table", a.prefix, reportsPath, m.Name)
	}
	if m, ok := st.models[mediaPath]; ok && withMedia {
		return nil, fmt.Errorf("admin: the media library (Options.Media) is served at %s/%s/, the address of table %s: exclude or hide the table, or leave Options.Media unset", a.prefix, mediaPath, m.Name)
	}
	// Application tables first, then the media library's, then the
	// framework's.
	rank := func(m *model) int {
		switch {
		case !m.framework:
			return 0
		case withMedia && m.group == mediaGroup:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(st.order, func(x, y *model) int {
		if c := rank(x) - rank(y); c != 0 {
			return c
		}
		if c := strings.Compare(x.group, y.group); c != 0 {
			return c
		}
		return strings.Compare(x.label, y.label)
	})
	return st, nil
}

// ServeHTTP serves the admin's pages.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// request is one admin request: who asks, on which database, for what.
type request struct {
	a     *Admin
	w     http.ResponseWriter
	r     *http.Request
	st    *siteState
	db    *framework.Database
	user  auth.User
	perms map[string]bool // nil for a superuser
	m     *model          // the table of a table page
	// estimates caches row estimates for the request (see estimate).
	estimates map[string]int64
}

// page wraps a handler with the checks every admin page makes: a
// logged-in, active staff user and a database in the context.
func (a *Admin) page(h func(*request)) http.Handler { return a.pageOf(false, h) }

// pageOf is page; with stream, the body of a POST is left unread for the
// handler (a file upload, streamed) instead of parsed as a url-encoded
// form. The auth layer has checked its CSRF token either way.
func (a *Admin) pageOf(stream bool, h func(*request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{a: a, w: w, r: r}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				rq.internal(fmt.Errorf("panic: %v", p))
			}
		}()
		authhttp.SetPageHeaders(w.Header())
		u, ok := authhttp.UserFrom(r.Context())
		if !ok {
			http.Redirect(w, r, a.opts.Auth.LoginURL(r)+"?next="+urlQueryEscape(framework.BasePath(r.Context())+r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		rq.user = u
		if !u.IsActive || !u.IsStaff && !u.IsSuperuser {
			rq.fail(http.StatusForbidden, "Your account does not have access to the admin. Ask an administrator to mark it as staff.")
			return
		}
		if r.Method == http.MethodPost && !stream {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
				rq.fail(http.StatusUnsupportedMediaType, "Send admin forms as application/x-www-form-urlencoded.")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, authhttp.MaxFormBytes)
			if err := r.ParseForm(); err != nil {
				rq.fail(http.StatusBadRequest, "The form could not be read (it may be larger than 4 MiB).")
				return
			}
		}
		rq.db = framework.DatabaseFrom(r.Context())
		if rq.db == nil {
			rq.internal(errors.New("admin: no database in the request context (serve the admin through the framework App's handler)"))
			return
		}
		st, err := a.stateFor(r.Context(), rq.db)
		if err != nil {
			rq.internal(err)
			return
		}
		if f := a.opts.ExcludeTablesFor; f != nil {
			if ex := f(r); len(ex) > 0 {
				st = st.without(ex)
			}
		}
		rq.st = st
		if !u.IsSuperuser {
			codes, err := a.opts.Auth.Permissions(r)
			if err != nil {
				rq.internal(fmt.Errorf("load permissions: %w", err))
				return
			}
			rq.perms = make(map[string]bool, len(codes))
			for _, c := range codes {
				rq.perms[c] = true
			}
		}
		h(rq)
	})
}

// tablePage is a page about one table, needing the permission action on it.
func (a *Admin) tablePage(action string, h func(*request)) http.Handler {
	return a.page(func(rq *request) {
		if rq.r.PathValue("table") == reportsPath && len(rq.a.opts.Reports) > 0 {
			rq.reportRoute()
			return
		}
		m, ok := rq.st.models[rq.r.PathValue("table")]
		if !ok {
			rq.fail(http.StatusNotFound, "There is no table by that name in the admin.")
			return
		}
		rq.m = m
		if m.managed && rq.managedRoute() {
			return
		}
		if !rq.can(action, m) {
			rq.fail(http.StatusForbidden, "You do not have permission to "+action+" "+m.label+".")
			return
		}
		h(rq)
	})
}

// can reports whether the user may do action ("view", "add", "change",
// "delete") on the table. Change implies view; a read-only table allows
// view only.
func (rq *request) can(action string, m *model) bool {
	if action != "view" && m.ReadOnly {
		return false
	}
	if rq.perms == nil {
		return true
	}
	if action == "view" && rq.perms[m.Name+".change"] {
		return true
	}
	return rq.perms[m.Name+"."+action]
}

// canTable is can for any table by name, hidden ones included, by
// permission alone: a delete's cascades need these on the tables they reach.
func (rq *request) canTable(table, action string) bool {
	if rq.perms == nil {
		return true
	}
	return rq.perms[table+"."+action] || action == "view" && rq.perms[table+".change"]
}

// ctx is the request's context.
func (rq *request) ctx() context.Context { return rq.r.Context() }

// internal logs err with the request id and shows a page naming the id,
// never the error. When the request's context ended first (the client
// went away, or the server is shutting down) nobody reads the answer and
// it is no error of ours: it is logged at DEBUG and recorded as 499.
func (rq *request) internal(err error) {
	if msg := rq.logInternal(err); msg != "" {
		rq.fail(http.StatusInternalServerError, msg)
	}
}

// logInternal logs an unexpected error and returns the message to show
// for it, naming the request id; for a request whose client went away it
// logs at DEBUG, answers 499 and returns "".
func (rq *request) logInternal(err error) string {
	if rq.gone(err) {
		rq.logErr(slog.LevelDebug, "admin: client gone", err)
		rq.w.WriteHeader(framework.StatusClientClosedRequest)
		return ""
	}
	rq.logErr(slog.LevelError, "admin", err)
	msg := "Something went wrong on our side. The error was logged"
	if id := middleware.RequestIDFrom(rq.ctx()); id != "" {
		msg += " with reference " + id
	}
	return msg + "."
}

// gone reports whether err comes from the request's context ending rather
// than from a fault: [framework.ClientGone], or the transaction the
// cancellation rolled back (database/sql then answers sql.ErrTxDone).
func (rq *request) gone(err error) bool {
	return framework.ClientGone(rq.r, err) || rq.ctx().Err() != nil && errors.Is(err, sql.ErrTxDone)
}

// logErr logs an unexpected err at level with the request's id and path,
// or at DEBUG when it only means that the client went away.
func (rq *request) logErr(level slog.Level, msg string, err error, args ...any) {
	if level > slog.LevelDebug && rq.gone(err) {
		level, msg = slog.LevelDebug, msg+": client gone"
	}
	args = append(args, "error", err, "request_id", middleware.RequestIDFrom(rq.ctx()), "path", rq.r.URL.Path)
	rq.a.log.Log(rq.ctx(), level, msg, args...)
}
