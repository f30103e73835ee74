package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/session"
)

// Example mounts the admin on an app: sessions and the login pages from
// the identity layer, then the admin at /admin/ with one table refined.
// Anonymous visitors are sent to the login page.
func Example() {
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: "sqlite::memory:", Env: framework.EnvDev},
		framework.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	defer app.Close()
	m, err := migrate.New(app.Database(), migrate.Options{})
	if err != nil {
		panic(err)
	}
	if _, err := m.Up(ctx); err != nil {
		panic(err)
	}

	a, err := authhttp.New(authhttp.Options{Sessions: authhttp.NewSessions(app.Config(), session.NewStore(app.Database())), Keys: app.Keys()})
	if err != nil {
		panic(err)
	}
	r := app.Router()
	app.Use(a.Middleware)
	a.Mount(r)
	adm, err := admin.New(ctx, app, admin.Options{Auth: a, Tables: map[string]admin.Table{
		"quarry_groups": {Label: "teams", SearchFields: []string{"name"}},
	}})
	if err != nil {
		panic(err)
	}
	r.Handle("/admin/", adm)

	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "/admin/quarry_groups/")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	// Output: 303 /login?next=%2Fadmin%2Fquarry_groups%2F
}
