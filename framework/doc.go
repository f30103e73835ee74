// Package framework is the Quarry application: configuration from the
// environment, the database pool, a net/http ServeMux router with the
// standard middleware (request id, access log, panic recovery), health and
// readiness endpoints, and graceful shutdown.
//
//	cfg, err := framework.ConfigFromEnv()
//	app, err := framework.New(ctx, cfg)
//	defer app.Close()
//	app.Router().HandleFunc("GET /hello", hello)
//	err = app.Run(ctx) // serves until SIGINT/SIGTERM, then drains
//
// Handlers reach the database through the request: [DatabaseFrom] returns
// the pool and dialect the app (or, later, a tenant resolver) put there.
// That [Database] is the one handle the features are built on
// (auth.New, session.NewStore, jobs.NewSQL, migrate.New); a tool without
// an App opens one with [OpenDatabase].
package framework
