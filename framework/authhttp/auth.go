package authhttp

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/framework/signing"
)

// Session keys.
const (
	keyUserID    = session.UserIDKey
	keyPwChanged = "quarry.pw_changed"
	keyPrivilege = "quarry.privilege"
)

// CSRFField is the form field holding the CSRF token.
const CSRFField = "csrf_token"

// Options configures [New].
type Options struct {
	// Sessions is the session manager (see NewSessions). Required.
	Sessions *scs.SessionManager
	// LoginPath, LogoutPath and PasswordPath are where the pages are
	// mounted. Defaults: /login, /logout, /password.
	LoginPath, LogoutPath, PasswordPath string
	// TrustedOrigins may send unsafe cross-origin requests
	// (e.g. "https://admin.example.com").
	TrustedOrigins []string
	// Keys signs the CSRF cookie; pass app.Keys() (QUARRY_SECRET_KEY), so
	// that every instance of the app accepts the others' forms. Default: a
	// random key, good for one process and lost at a restart.
	Keys *signing.Keyring
	// Logger receives unexpected errors. Default: slog.Default().
	Logger *slog.Logger
}

// Auth is the identity layer's HTTP side.
type Auth struct {
	opts  Options
	keys  *signing.Keyring
	perms permCache
	cop   *http.CrossOriginProtection
	log   *slog.Logger
	tmpl  *template.Template
}

//go:embed templates/*.html
var templates embed.FS

// New validates opts and returns the handlers and middleware.
func New(opts Options) (*Auth, error) {
	if opts.Sessions == nil {
		return nil, errors.New("authhttp: Options.Sessions is required")
	}
	if opts.LoginPath == "" {
		opts.LoginPath = "/login"
	}
	if opts.LogoutPath == "" {
		opts.LogoutPath = "/logout"
	}
	if opts.PasswordPath == "" {
		opts.PasswordPath = "/password"
	}
	a := &Auth{opts: opts, keys: opts.Keys, cop: http.NewCrossOriginProtection(), log: opts.Logger}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.keys == nil {
		a.keys = signing.Random()
	}
	for _, o := range opts.TrustedOrigins {
		if err := a.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("authhttp: trusted origin %q: %w", o, err)
		}
	}
	t, err := template.ParseFS(templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	a.tmpl = t
	return a, nil
}

type userKey struct{}

// UserFrom returns the logged-in user, if any.
func UserFrom(ctx context.Context) (auth.User, bool) {
	u, ok := ctx.Value(userKey{}).(auth.User)
	return u, ok
}

type loadedKey struct{}

// loadedUserKey holds the session store's *session.Loaded.
type loadedUserKey struct{}

// Middleware loads and saves the session, checks CSRF on unsafe methods,
// and puts the logged-in user in the request context. It needs the
// database in the context (the framework App's handler puts it there).
// Applied twice (on the router and again by a handler such as the
// admin), the inner one passes the request through. An anonymous
// visitor's session is never written until something is put in it.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	// The CSRF writer sits inside the session's, so that headers written
	// early (a flush) still carry the session cookie as well as its own.
	inner := a.opts.Sessions.LoadAndSave(http.HandlerFunc(func(sw http.ResponseWriter, r *http.Request) {
		base := framework.BasePath(r.Context())
		st := readCSRF(r, a.csrfCookieName(base))
		w := &csrfWriter{ResponseWriter: sw, a: a, st: st, base: base}
		defer w.finish() // the cookie, when the handler wrote nothing
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), loadedKey{}, a), csrfKey{}, st))
		if err := a.checkCSRF(w, r); err != nil {
			a.deny(w, r, http.StatusForbidden, "CSRF check failed: "+err.Error())
			return
		}
		u, ok, err := a.loadUser(r)
		if err != nil {
			framework.ServerError(w, r, a.log, "load session user", err)
			return
		}
		if ok {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(loadedKey{}) == a {
			next.ServeHTTP(w, r)
			return
		}
		ctx, loaded := session.WithUser(r.Context())
		r = r.WithContext(context.WithValue(ctx, loadedUserKey{}, loaded))
		base := framework.BasePath(ctx)
		if base == "" || strings.HasPrefix(a.opts.Sessions.Cookie.Name, "__Host-") {
			inner.ServeHTTP(w, r)
			return
		}
		cw := &cookiePathWriter{ResponseWriter: w, name: a.opts.Sessions.Cookie.Name, path: base + strings.TrimRight(a.opts.Sessions.Cookie.Path, "/")}
		inner.ServeHTTP(cw, r)
		cw.fix() // the session cookie added after a handler that wrote nothing
	})
}

// cookiePathWriter scopes the session cookie to the request's base path
// (base path + the manager's Cookie.Path): scs writes it with the
// manager's fixed Cookie.Path, the same for every request, so its Set-Cookie
// header is rewritten here before the headers go out. Under /t/acme the
// session cookie's path is then /t/acme, and two tenants served under
// path prefixes on one host each keep their own cookie.
type cookiePathWriter struct {
	http.ResponseWriter
	name, path string
	done       bool
}

// fix rewrites the session cookie's path in the headers, once, before
// they are written.
func (cw *cookiePathWriter) fix() {
	if cw.done {
		return
	}
	cw.done = true
	vals := cw.Header()["Set-Cookie"]
	for i, v := range vals {
		c, err := http.ParseSetCookie(v)
		if err != nil || c.Name != cw.name {
			continue
		}
		c.Path = cw.path
		vals[i] = c.String()
	}
}

func (cw *cookiePathWriter) WriteHeader(code int) {
	cw.fix()
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *cookiePathWriter) Write(b []byte) (int, error) {
	cw.fix()
	return cw.ResponseWriter.Write(b)
}

// Flush fixes the headers, then flushes.
func (cw *cookiePathWriter) Flush() {
	cw.fix()
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (cw *cookiePathWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// at is p under the request's base path (framework.BasePath).
func at(r *http.Request, p string) string { return framework.BasePath(r.Context()) + p }

// safeNext is SafeNext kept under the request's base path: a next outside
// it (or none) sends the user to the base path's root, so that a login
// inside a tenant served under /t/acme stays inside it.
func safeNext(r *http.Request, next string) string {
	base := framework.BasePath(r.Context())
	loc := SafeNext(next)
	if base != "" && (next == "" || !framework.Within(base, strings.SplitN(loc, "?", 2)[0])) {
		return base + "/"
	}
	return loc
}

// LoginURL is the login page's path for r: LoginPath under the request's
// base path (framework.BasePath), e.g. /t/acme/login in a tenant served
// under a path prefix. LogoutURL and PasswordURL likewise.
func (a *Auth) LoginURL(r *http.Request) string { return at(r, a.opts.LoginPath) }

// LogoutURL is where the logout form posts, under r's base path.
func (a *Auth) LogoutURL(r *http.Request) string { return at(r, a.opts.LogoutPath) }

// PasswordURL is the change-password page, under r's base path.
func (a *Auth) PasswordURL(r *http.Request) string { return at(r, a.opts.PasswordPath) }

// Sessions returns the session manager, for handlers that keep their own
// values (such as one-time messages) in the user's session.
func (a *Auth) Sessions() *scs.SessionManager { return a.opts.Sessions }

// LoginPath is where the login page is mounted.
func (a *Auth) LoginPath() string { return a.opts.LoginPath }

// PasswordPath is where the change-password page is mounted.
func (a *Auth) PasswordPath() string { return a.opts.PasswordPath }

// LogoutPath is where the logout form posts.
func (a *Auth) LogoutPath() string { return a.opts.LogoutPath }

// loadUser returns the session's user, logging the session out when the
// account is gone or deactivated or its password changed since the login.
// A database error leaves the session alone.
func (a *Auth) loadUser(r *http.Request) (auth.User, bool, error) {
	sm := a.opts.Sessions
	id := sm.GetInt64(r.Context(), keyUserID)
	if id == 0 {
		return auth.User{}, false, nil
	}
	var u auth.User
	var err error
	if l, _ := r.Context().Value(loadedUserKey{}).(*session.Loaded); l != nil && l.Found && l.User.ID == id {
		u = l.User // read with the session, in its query
	} else {
		u, err = auth.New(framework.DatabaseFrom(r.Context())).UserByID(r.Context(), id)
		if err != nil && !errors.Is(err, auth.ErrNoSuchUser) {
			return auth.User{}, false, err
		}
	}
	if err != nil || !u.IsActive || sm.GetInt64(r.Context(), keyPwChanged) != pwStamp(u) {
		sm.Remove(r.Context(), keyUserID)
		sm.Remove(r.Context(), keyPwChanged)
		return auth.User{}, false, nil
	}
	// A change of privilege (staff, superuser) gets a new session token.
	if p := privilege(u); sm.GetString(r.Context(), keyPrivilege) != p {
		if err := sm.RenewToken(r.Context()); err != nil {
			return auth.User{}, false, err
		}
		sm.Put(r.Context(), keyPrivilege, p)
	}
	return u, true, nil
}

// LogIn records u as the user of the session of the request whose
// context is ctx, as the login page does after a correct password: a new
// session token (against session fixation), a new CSRF token, and what
// later requests check the session against (the user's password change
// time and privilege; a change of either ends or renews the session).
// It is for logins the login page does not make, such as an operator
// entering a tenant (package tenancy); ctx must have passed through the
// session manager (Middleware does that).
func (a *Auth) LogIn(ctx context.Context, u auth.User) error {
	sm := a.opts.Sessions
	if err := sm.RenewToken(ctx); err != nil {
		return err
	}
	rotateCSRF(ctx)
	sm.Put(ctx, keyUserID, u.ID)
	sm.Put(ctx, keyPwChanged, pwStamp(u))
	sm.Put(ctx, keyPrivilege, privilege(u))
	return nil
}

func privilege(u auth.User) string {
	return fmt.Sprintf("staff=%t superuser=%t", u.IsStaff, u.IsSuperuser)
}

func pwStamp(u auth.User) int64 {
	if u.PasswordChangedAt.IsZero() {
		return -1
	}
	return u.PasswordChangedAt.UnixMicro()
}

type jsonAnswersKey struct{}

// JSONAnswers marks the requests next serves as a JSON API's: RequireLogin,
// RequirePerm and RequireSuperuser answer them with 401/403 problem
// details, never a redirect to the login page, whatever their Accept
// header says.
func JSONAnswers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), jsonAnswersKey{}, true)))
	})
}

// wantsJSON reports a JSON client: a JSON API's request (JSONAnswers), or
// one that asked for JSON rather than HTML, or sent JSON.
func wantsJSON(r *http.Request) bool {
	if r.Context().Value(jsonAnswersKey{}) != nil {
		return true
	}
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html") {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

func (a *Auth) deny(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		framework.WriteError(w, r, status, msg)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// RequireLogin lets logged-in users through; JSON clients get 401,
// browsers a redirect to the login page with next= set to this page.
func (a *Auth) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := UserFrom(r.Context()); !ok {
			a.unauthenticated(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Auth) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		framework.WriteError(w, r, http.StatusUnauthorized, "login required")
		return
	}
	http.Redirect(w, r, at(r, a.opts.LoginPath)+"?next="+url.QueryEscape(at(r, r.URL.RequestURI())), http.StatusSeeOther)
}

// RequirePerm lets through users holding codename ("<table>.<action>").
func (a *Auth) RequirePerm(codename string) func(http.Handler) http.Handler {
	return a.require(func(r *http.Request, u auth.User) (bool, error) {
		return a.HasPerm(r, u, codename)
	})
}

// Can reports whether the request's user is logged in and holds codename
// (false for an anonymous request): for checks inside a handler, such as
// the tables an API answer may expand into.
func (a *Auth) Can(r *http.Request, codename string) (bool, error) {
	u, ok := UserFrom(r.Context())
	if !ok {
		return false, nil
	}
	return a.HasPerm(r, u, codename)
}

// RequireSuperuser lets through active superusers only.
func (a *Auth) RequireSuperuser(next http.Handler) http.Handler {
	return a.require(func(_ *http.Request, u auth.User) (bool, error) { return u.IsActive && u.IsSuperuser, nil })(next)
}

func (a *Auth) require(allowed func(*http.Request, auth.User) (bool, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ok := UserFrom(r.Context())
			if !ok {
				a.unauthenticated(w, r)
				return
			}
			ok, err := allowed(r, u)
			if err != nil {
				framework.ServerError(w, r, a.log, "permission check", err)
				return
			}
			if !ok {
				a.deny(w, r, http.StatusForbidden, "permission denied")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// SafeNext returns the location a redirect to next sends when that stays
// on this site, else "/". It checks what will actually be sent, not the
// raw input: http.Redirect resolves dot segments and cleans the path, so
// "/./\evil.example" would leave as "/\evil.example", which browsers read
// as "//evil.example". The result is that cleaned path (so a redirect
// sends it unchanged): one leading "/" not followed by another, no
// backslash or control character anywhere (browsers treat "\" as "/" and
// drop tabs and newlines), and no scheme, host or user information.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	loc := redirectPath(next)
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		return "/"
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return loc
}

// redirectPath is what http.Redirect does to a path-only location: the
// part before "?" is cleaned (dot segments resolved, slashes folded), a
// trailing slash kept, and bytes outside ASCII are percent-encoded.
func redirectPath(loc string) string {
	p, query, hasQuery := strings.Cut(loc, "?")
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(clean, "/") {
		clean += "/"
	}
	if hasQuery {
		clean += "?" + query
	}
	var b strings.Builder
	for i := 0; i < len(clean); i++ {
		if c := clean[i]; c >= utf8.RuneSelf {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
