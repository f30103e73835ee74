package tenancy

import (
	"net/http"

	"github.com/alexedwards/scs/v2"
)

// ImpersonationBanner is an admin.Options.Banner: on an operator's
// impersonation session (KeyImpersonator, set when a grant is redeemed)
// it says "Signed in as operator <name> (impersonating)", and nothing on
// any other session. sessions is the tenant side's session manager (the
// admin's Auth.Sessions()).
func ImpersonationBanner(sessions *scs.SessionManager) func(r *http.Request) string {
	return func(r *http.Request) string {
		op := sessions.GetString(r.Context(), KeyImpersonator)
		if op == "" {
			return ""
		}
		return "Signed in as operator " + op + " (impersonating)"
	}
}
