// Package authhttp puts the identity layer on HTTP: scs sessions with
// secure cookie defaults, the current user in the request context,
// RequireLogin / RequirePerm / RequireSuperuser, CSRF protection (origin
// checks plus a token for HTML forms — url-encoded, or multipart with the
// token as the first field — signed with the app's secret key and kept in
// a cookie, so anonymous visitors write no session), and server-rendered
// login, logout and change-password pages.
//
//	sm := authhttp.NewSessions(cfg, session.NewStore(app.Database()))
//	a, _ := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys()})
//	a.Mount(app.Router())
//	app.Use(a.Middleware)
//	app.Router().Handle("GET /reports", a.RequirePerm("reports.view")(reports))
package authhttp
