package authhttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/session"
)

// NewSessions returns a session manager on store with Quarry's cookie
// defaults: name quarry_session, HttpOnly, SameSite=Lax, Secure outside dev
// and test, 24 hours idle and 14 days absolute lifetime. Change the fields
// afterwards to configure them. On the framework's own store
// (*session.Store) the idle timeout is the store's (session.Store's
// IdleTimeout), which does not rewrite the session on every request;
// on another store it is scs's.
//
// Under a base path (framework.BasePath: a tenant served under /t/acme)
// Auth.Middleware writes the session cookie with the base path in front
// of Cookie.Path, so that tenants sharing a host under path prefixes keep
// a cookie each; scs's cookie settings are fixed per manager, so the
// Set-Cookie header scs writes is rewritten. A cookie named __Host-…
// must have the path "/" and is left unscoped.
func NewSessions(cfg framework.Config, store scs.Store) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Cookie.Name = "quarry_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Env != framework.EnvDev && cfg.Env != framework.EnvTest
	sm.Cookie.Path = "/"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		framework.ServerError(w, r, slog.Default(), "session", err)
	}
	if _, ok := store.(*session.Store); !ok {
		sm.IdleTimeout = 24 * time.Hour
	}
	sm.Lifetime = 14 * 24 * time.Hour
	return sm
}
