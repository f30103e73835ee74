package tenancy

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/queries"
)

// OperatePermission is the permission, in the main database, that makes a
// user of the main database an operator (superusers are operators
// without it). NewConsole seeds it.
const OperatePermission = "tenancy.operate"

// ConsoleOptions configures [NewConsole].
type ConsoleOptions struct {
	// Auth is the identity layer the app mounts (sessions, login pages,
	// CSRF). Required. Operators log in through its login page on the
	// apex, where the request's database is the main one.
	Auth *authhttp.Auth
	// Keys signs the impersonation grants: pass app.Keys(), so that every
	// instance accepts the grants of the others. Required.
	Keys *signing.Keyring
	// Pools, when set, is used to read tenants' migration versions and
	// sizes (else a pool is opened and closed per page), and a tenant's
	// pool is evicted when it is suspended.
	Pools *Pools
	// Path is where the console is mounted on the apex. Default
	// "/operator/" (it must begin and end with "/").
	Path string
	// EnterPath is where, inside each tenant, an impersonation grant is
	// redeemed. Default "/_quarry/enter".
	EnterPath string
	// AdminPath is where the tenant's admin is, the page an operator lands
	// on after entering a tenant. Default "/admin/".
	AdminPath string
	// BaseDomain, when set, sends an operator entering tenant acme to
	// acme.<BaseDomain> (the Subdomain resolver's domain); empty: to
	// <PathPrefix><slug>/ on the console's own host.
	BaseDomain string
	// Scheme of the tenant URLs built from BaseDomain. Default "https"
	// (set "http" in development).
	Scheme string
	// PathPrefix is the PathPrefix resolver's prefix. Default "/t/".
	PathPrefix string
	// TenantURL, when set, returns the absolute URL (scheme, host and
	// path, no trailing slash) at which tenant t is served, replacing
	// BaseDomain and PathPrefix (for custom domains, say).
	TenantURL func(t *Tenant) string
	// GrantTTL is how long an impersonation grant may be redeemed. Default
	// and maximum: 2 minutes.
	GrantTTL time.Duration
	// ImpersonationLifetime ends an impersonation session this long after
	// it began, whatever its activity. Default 1 hour.
	ImpersonationLifetime time.Duration
	// Nonces records the grants redeemed, so that none is redeemed twice.
	// Default: the registry's table (Registry.GrantNonces), shared by every
	// instance; NewMemoryNonces keeps them in the process instead.
	Nonces NonceStore
	// StatTimeout bounds the reading of one tenant's migration versions
	// and size for the list. Default 2 seconds.
	StatTimeout time.Duration
	// PageSize is how many tenants a page of the list shows. Default 50.
	PageSize int
	// Title heads the console's page. Default "Operator console".
	Title string
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
	// Logger receives unexpected errors and a line per operator action.
	// Default slog.Default().
	Logger *slog.Logger
}

// Console is the operator console: a server-rendered page on the apex
// that lists tenants with their status, domains, migration versions and
// size, and creates, suspends, resumes and migrates them; and the
// impersonation endpoint inside each tenant, where an operator enters the
// tenant's admin through a short-lived grant the console signed.
type Console struct {
	reg  *Registry
	opts ConsoleOptions
	tmpl *template.Template
	log  *slog.Logger
	auth *authhttp.Auth
}

//go:embed templates/*.html
var consoleTemplates embed.FS

// NewConsole validates opts, seeds the OperatePermission in the main
// database and returns the console. Mount it with [Console.Mount].
func NewConsole(ctx context.Context, reg *Registry, opts ConsoleOptions) (*Console, error) {
	if opts.Auth == nil {
		return nil, errors.New("tenancy: ConsoleOptions.Auth is required")
	}
	if opts.Keys == nil {
		return nil, errors.New("tenancy: ConsoleOptions.Keys is required (app.Keys())")
	}
	if opts.Path == "" {
		opts.Path = "/operator/"
	}
	if !strings.HasPrefix(opts.Path, "/") || !strings.HasSuffix(opts.Path, "/") {
		return nil, fmt.Errorf("tenancy: console path %q must begin and end with /", opts.Path)
	}
	if opts.EnterPath == "" {
		opts.EnterPath = "/_quarry/enter"
	}
	if opts.AdminPath == "" {
		opts.AdminPath = "/admin/"
	}
	if opts.Scheme == "" {
		opts.Scheme = "https"
	}
	if opts.PathPrefix == "" {
		opts.PathPrefix = "/t/"
	}
	if opts.GrantTTL <= 0 || opts.GrantTTL > MaxGrantTTL {
		opts.GrantTTL = MaxGrantTTL
	}
	if opts.ImpersonationLifetime <= 0 {
		opts.ImpersonationLifetime = time.Hour
	}
	if opts.Nonces == nil {
		opts.Nonces = reg.GrantNonces()
	}
	if opts.StatTimeout <= 0 {
		opts.StatTimeout = 2 * time.Second
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 50
	}
	if opts.Title == "" {
		opts.Title = "Operator console"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	t, err := template.ParseFS(consoleTemplates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	db, d := reg.db.Handle()
	if err := d.Queries(db).PermissionEnsure(ctx, queries.PermissionEnsureParams{Codename: OperatePermission, Name: "Can operate tenants"}); err != nil {
		return nil, fmt.Errorf("tenancy: seed the %s permission: %w", OperatePermission, err)
	}
	return &Console{reg: reg, opts: opts, tmpl: t, log: log, auth: opts.Auth}, nil
}

// Mount registers the console at Path (answered on the apex only: 404
// inside a tenant) and the impersonation endpoint at EnterPath (answered
// inside tenants only: 404 on the apex) on r. Both pass through the
// Auth's middleware (a no-op when the router applies it already).
func (c *Console) Mount(r *http.ServeMux) {
	r.Handle(c.opts.Path, c.Handler())
	r.Handle(c.opts.EnterPath, c.EnterHandler())
}

// Handler is the console, for mounting at Path by other means than Mount.
// It answers 404 inside a tenant, redirects anonymous visitors to the
// login page and refuses (403) users who are not operators.
func (c *Console) Handler() http.Handler {
	inner := c.auth.Middleware(c.auth.RequirePerm(OperatePermission)(http.HandlerFunc(c.serve)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authhttp.SetPageHeaders(w.Header())
		if From(r.Context()) != nil {
			NotFound(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

func (c *Console) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, c.opts.Path)
	if !ok {
		NotFound(w, r)
		return
	}
	if rest == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		c.list(w, r)
		return
	}
	if r.Method != http.MethodPost {
		if rest == "create" || strings.HasPrefix(rest, "tenants/") {
			methodNotAllowed(w, "POST")
			return
		}
		NotFound(w, r)
		return
	}
	if rest == "create" {
		c.create(w, r)
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] != "tenants" || ValidateSlug(parts[1]) != nil {
		NotFound(w, r)
		return
	}
	slug := parts[1]
	switch parts[2] {
	case "suspend":
		c.setStatus(w, r, slug, StatusSuspended)
	case "resume":
		c.setStatus(w, r, slug, StatusActive)
	case "migrate":
		c.migrate(w, r, slug)
	case "enter":
		c.enter(w, r, slug)
	default:
		NotFound(w, r)
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// Session keys of the console's one-time messages.
const (
	keyConsoleMessage = "quarry.operator.message"
	keyConsoleError   = "quarry.operator.error"
)

// done redirects to the list with a message for the next page.
func (c *Console) done(w http.ResponseWriter, r *http.Request, msg string, failed bool) {
	key := keyConsoleMessage
	if failed {
		key = keyConsoleError
	}
	c.auth.Sessions().Put(r.Context(), key, msg)
	http.Redirect(w, r, c.opts.Path, http.StatusSeeOther)
}

// userMessage is what an operator sees of err: the registry's own
// messages for what an operator can fix (invalid input, a taken slug, an
// unsupported mode, a tenant gone), never a database's text; anything else
// is logged and shown as a failure with the request id.
func (c *Console) userMessage(r *http.Request, what string, err error) string {
	for _, known := range []error{ErrInvalid, ErrExists, ErrUnsupported, ErrNoTenant, ErrSuspended} {
		if errors.Is(err, known) {
			return what + ": " + strings.TrimPrefix(err.Error(), "tenancy: ")
		}
	}
	id := middleware.RequestIDFrom(r.Context())
	c.log.ErrorContext(r.Context(), "tenancy console: "+what, "error", err, "request_id", id)
	return what + " failed (request " + id + "); the error is logged."
}

func (c *Console) operator(r *http.Request) string {
	u, _ := authhttp.UserFrom(r.Context())
	return u.Username
}

func (c *Console) create(w http.ResponseWriter, r *http.Request) {
	slug, name := strings.TrimSpace(r.PostFormValue("slug")), strings.TrimSpace(r.PostFormValue("name"))
	t, err := c.reg.Create(r.Context(), CreateParams{Slug: slug, Name: name})
	if err != nil {
		c.done(w, r, c.userMessage(r, "Create "+strconv.Quote(slug), err), true)
		return
	}
	c.log.InfoContext(r.Context(), "tenancy console: tenant created", "slug", t.Slug, "operator", c.operator(r))
	c.done(w, r, "Tenant "+t.Slug+" created.", false)
}

func (c *Console) setStatus(w http.ResponseWriter, r *http.Request, slug string, s Status) {
	verb := map[Status]string{StatusSuspended: "Suspend", StatusActive: "Resume"}[s]
	if err := c.reg.SetStatus(r.Context(), slug, s); err != nil {
		c.done(w, r, c.userMessage(r, verb+" "+slug, err), true)
		return
	}
	if s == StatusSuspended && c.opts.Pools != nil {
		if t, err := c.reg.Show(r.Context(), slug); err == nil {
			c.opts.Pools.Evict(t.ID)
		}
	}
	c.log.InfoContext(r.Context(), "tenancy console: tenant "+string(s), "slug", slug, "operator", c.operator(r))
	c.done(w, r, "Tenant "+slug+" is "+string(s)+".", false)
}

func (c *Console) migrate(w http.ResponseWriter, r *http.Request, slug string) {
	t, err := c.reg.Show(r.Context(), slug)
	if err == nil {
		err = c.reg.MigrateTenant(r.Context(), t)
	}
	if err != nil {
		c.done(w, r, c.userMessage(r, "Migrate "+slug, err), true)
		return
	}
	c.log.InfoContext(r.Context(), "tenancy console: tenant migrated", "slug", slug, "operator", c.operator(r))
	c.done(w, r, "Tenant "+slug+" is migrated.", false)
}

// consoleRow is one tenant as the list shows it.
type consoleRow struct {
	Slug, Name, Mode, Status string
	Domains                  []string
	Versions, Size           string
}

type consolePage struct {
	Title, Path, LogoutPath, CSRF, Operator string
	Message, Error                          string
	Total                                   int
	Tenants                                 []consoleRow
	Prev, Next                              string
	FormSlug, FormName                      string
}

func (c *Console) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	all, err := c.reg.List(ctx)
	if err != nil {
		framework.ServerError(w, r, c.log, "tenancy console: list tenants", err)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	from := min((page-1)*c.opts.PageSize, len(all))
	to := min(from+c.opts.PageSize, len(all))
	shown := all[from:to]
	rows := make([]consoleRow, len(shown))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, t := range shown {
		rows[i] = consoleRow{Slug: t.Slug, Name: t.Name, Mode: string(t.Mode), Status: string(t.Status), Versions: "—", Size: "—"}
		if ds, err := c.reg.Domains(ctx, t.Slug); err == nil {
			rows[i].Domains = ds
		}
		if t.Status == StatusProvisioning {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rows[i].Versions, rows[i].Size = c.stats(ctx, t)
		})
	}
	wg.Wait()
	sm := c.auth.Sessions()
	p := consolePage{Title: c.opts.Title, Path: c.opts.Path, LogoutPath: c.auth.LogoutPath(), CSRF: c.auth.CSRFToken(ctx),
		Operator: c.operator(r), Message: sm.PopString(ctx, keyConsoleMessage), Error: sm.PopString(ctx, keyConsoleError),
		Total: len(all), Tenants: rows}
	if page > 1 {
		p.Prev = c.opts.Path + "?page=" + strconv.Itoa(page-1)
	}
	if to < len(all) {
		p.Next = c.opts.Path + "?page=" + strconv.Itoa(page+1)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := c.tmpl.ExecuteTemplate(w, "console", p); err != nil {
		c.log.ErrorContext(ctx, "tenancy console: render", "error", err)
	}
}

// stats reads a tenant's migration versions (the highest of the
// framework's set and of the app's) and its size, within StatTimeout;
// what it cannot read is shown as "—" (and logged at debug level).
func (c *Console) stats(ctx context.Context, t *Tenant) (versions, size string) {
	versions, size = "—", "—"
	ctx, cancel := context.WithTimeout(ctx, c.opts.StatTimeout)
	defer cancel()
	var d *framework.Database
	if c.opts.Pools != nil {
		db, release, err := c.opts.Pools.Acquire(ctx, t)
		if err != nil {
			c.log.DebugContext(ctx, "tenancy console: open tenant", "slug", t.Slug, "error", err)
			return
		}
		defer release()
		d = db
	} else {
		db, err := c.reg.Open(ctx, t)
		if err != nil {
			c.log.DebugContext(ctx, "tenancy console: open tenant", "slug", t.Slug, "error", err)
			return
		}
		defer db.DB.Close()
		d = db
	}
	version := func(table string) string {
		var v *int64
		// The table name is a constant of the framework; no input reaches it.
		if err := d.DB.QueryRowContext(ctx, "SELECT MAX(version_id) FROM "+d.Dialect.QuoteIdent(table)).Scan(&v); err != nil {
			c.log.DebugContext(ctx, "tenancy console: read version", "slug", t.Slug, "table", table, "error", err)
			return "—"
		}
		if v == nil {
			return "0"
		}
		return strconv.FormatInt(*v, 10)
	}
	versions = version(migrate.FrameworkTable) + " / " + version(migrate.AppTable)
	n, err := d.Dialect.DatabaseSize(ctx, d.DB)
	if sd, ok := d.Dialect.(dialects.Schemas); ok && t.Mode == ModeSchema {
		n, err = sd.SchemaSize(ctx, d.DB) // its tables, not the whole database's
	}
	if err != nil {
		c.log.DebugContext(ctx, "tenancy console: read size", "slug", t.Slug, "error", err)
		return versions, size
	}
	return versions, humanBytes(n)
}

// humanBytes is n in B, KiB, MiB, GiB or TiB, one decimal.
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || unit == "TiB" {
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + unit
		}
	}
	return ""
}

// tenantBase is the absolute (or, under the path prefix on the console's
// host, root-relative) URL at which t is served, without a trailing slash.
func (c *Console) tenantBase(t *Tenant) string {
	switch {
	case c.opts.TenantURL != nil:
		return strings.TrimSuffix(c.opts.TenantURL(t), "/")
	case c.opts.BaseDomain != "":
		return (&url.URL{Scheme: c.opts.Scheme, Host: t.Slug + "." + c.opts.BaseDomain}).String()
	default:
		return strings.TrimSuffix(c.opts.PathPrefix, "/") + "/" + t.Slug
	}
}
