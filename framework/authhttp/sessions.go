package authhttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/quarry-go/quarry/framework"
)

// NewSessions returns a session manager on store with Quarry's cookie
// defaults: name quarry_session, HttpOnly, SameSite=Lax, Secure outside dev
// and test, 24 hours idle and 14 days absolute lifetime. Change the fields
// afterwards to configure them.
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
	sm.IdleTimeout = 24 * time.Hour
	sm.Lifetime = 14 * 24 * time.Hour
	return sm
}
