// Package authhttp puts the identity layer on HTTP: scs sessions with
// secure cookie defaults, the current user in the request context,
// RequireLogin / RequirePerm / RequireSuperuser, CSRF protection (origin
// checks plus a per-session token for HTML forms), and server-rendered
// login, logout and change-password pages.
//
//	sm := authhttp.NewSessions(cfg, session.NewStore(app.DB(), app.URL().Dialect))
//	a, _ := authhttp.New(authhttp.Options{Sessions: sm})
//	a.Mount(app.Router())
//	app.Router().Use(a.Middleware)
//	app.Router().Handle("/reports", a.RequirePerm("reports.view")(reports))
package authhttp
