// Command blog is Quarry's demo app: a small blog (authors, posts, tags)
// following the user's loop — its DDL in sql/<dialect>/, queries in
// queries/<dialect>/, sqlc config and generated code in db/, goose
// migrations in migrations/<dialect>/ — served beside the framework router,
// with the login pages and the admin. The API's reads are public; its
// writes need a logged-in user with the table's permission.
//
// It applies the framework's and its own migrations at start-up, seeds a
// few rows into an empty database, and serves on QUARRY_BIND (default
// 127.0.0.1:8000) against DATABASE_URL (default sqlite:./var/app.db).
//
// QUARRY_TENANCY=on adds the tenant mode (package tenants): two tenants,
// acme and globex, each with a database of its own, served as
// http://acme.localhost:8000/ and http://localhost:8000/t/globex/ beside
// the main site.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/examples/blog/tenants"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"

	// The blog's query adapters, one per dialect. The API and the admin
	// action run their queries through db.Queries, which picks the
	// adapter of the database's dialect among those registered; each
	// registers itself from its init (as database/sql drivers do), so
	// main links in the three, and the binary runs on any of them.
	_ "github.com/quarry-go/quarry/examples/blog/db/mysql"
	_ "github.com/quarry-go/quarry/examples/blog/db/postgres"
	_ "github.com/quarry-go/quarry/examples/blog/db/sqlite"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "blog:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := framework.ConfigFromEnv()
	if err != nil {
		return err
	}
	tenancyOn, err := tenants.Enabled(os.Getenv("QUARRY_TENANCY"))
	if err != nil {
		return err
	}
	app, err := framework.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()

	appMigrations, err := migrations.For(app.URL().Dialect.Name())
	if err != nil {
		return err
	}
	m, err := migrate.New(app.Database(), migrate.Options{AppFS: appMigrations, Logger: app.Logger()})
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := api.Seed(ctx, app.Database()); err != nil {
		return err
	}
	if err := site.EnsureSuperuser(ctx, app, os.Stderr); err != nil {
		return err
	}
	var tm *tenants.Mode
	if tenancyOn { // before the routes: the tenancy middleware wraps the router
		if tm, err = tenants.Setup(ctx, app, tenants.Options{Out: os.Stderr}); err != nil {
			return err
		}
		defer tm.Close()
	}
	auth, err := site.Mount(ctx, app)
	if err != nil {
		return err
	}
	api.Mount(app.Router(), app.Logger(), auth)
	if err := api.MountTables(ctx, app, auth); err != nil {
		return err
	}
	worker, err := site.StartJobs(ctx, app)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = worker.Stop(stopCtx)
	}()
	if tm != nil {
		tm.Start(ctx) // stopped by tm.Close, after the app's client
		_, port, _ := net.SplitHostPort(cfg.Bind)
		fmt.Fprintf(os.Stderr, "Tenants: http://acme.localhost:%s/ (admin: /admin/) and http://localhost:%s/t/globex/ (registry in %s)\n", port, port, app.URL())
	}
	fmt.Fprintf(os.Stderr, "Quarry blog demo: http://%s/  admin: http://%s/admin/  (database %s; Ctrl-C stops)\n", cfg.Bind, cfg.Bind, app.URL())
	return app.Run(ctx)
}
