// Package site wires the blog demo's browser side: sessions, the login
// pages and the admin, with the blog's admin options and a "publish"
// bulk action.
package site

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/media/mediahttp"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/framework/storage"
)

// Mount adds the auth middleware (sessions, the current user, CSRF
// checks) to app's router, the login pages at /login, /logout and
// /password, the media API at /media/ (with the disks' signed URLs under
// /_storage/) and the admin at /admin/ (with the media library at
// /admin/media/), and returns the auth layer, for the
// permission checks of other handlers (such as the API's writes). Each of
// configure may change the admin's options before the admin is made (e.g.
// a tenant site's Banner, tenancy.ImpersonationBanner(a.Sessions())).
func Mount(ctx context.Context, app *framework.App, configure ...func(a *authhttp.Auth, o *admin.Options)) (*authhttp.Auth, error) {
	d := app.Database()
	sm := authhttp.NewSessions(app.Config(), session.NewStore(d))
	a, err := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys(), Logger: app.Logger()})
	if err != nil {
		return nil, err
	}
	app.Use(a.Middleware)
	a.Mount(app.Router())
	svc, err := NewMedia(app)
	if err != nil {
		return nil, err
	}
	app.WrapRouter(svc.Disks().Middleware)
	app.Router().Handle("/media/", mediahttp.Handler(svc, a, "/media"))
	// An insert-only jobs client: the publish action enqueues through it.
	enq, err := jobs.New(jobs.NewSQL(d), jobs.Config{Logger: app.Logger()})
	if err != nil {
		return nil, err
	}
	opts := admin.Options{Auth: a, Title: "Blog admin", Tables: Tables(enq), Media: svc, Reports: db.Reports}
	for _, c := range configure {
		c(a, &opts)
	}
	adm, err := admin.New(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	app.Router().Handle("/admin/", adm)
	return a, nil
}

// NewMedia opens the disks QUARRY_STORAGE_* name (file:./var/media by
// default), closed with the app, and returns the media service over them.
func NewMedia(app *framework.App) (*media.Service, error) {
	disks, err := storage.DisksFromEnv(os.Environ(), app.Keys())
	if err != nil {
		return nil, err
	}
	app.OnClose(disks.Close)
	return media.New(disks, media.Options{Logger: app.Logger()})
}

// Tables refines the blog's tables in the admin; the publish action
// enqueues its PostPublishedArgs jobs through enq.
func Tables(enq *jobs.Client) map[string]admin.Table {
	return map[string]admin.Table{
		"authors": {Display: "name", ListDisplay: []string{"id", "name", "email", "created_at"}, SearchFields: []string{"name", "email"},
			Ordering: []string{"name"}, ReadonlyFields: []string{"created_at"}},
		"posts": {Display: "title", ListDisplay: []string{"id", "title", "author_id", "cover_id", "published", "published_at", "created_at"},
			SearchFields: []string{"title", "slug", "body"}, ListFilter: []string{"published", "author_id", "created_at"},
			Ordering: []string{"-created_at"}, ReadonlyFields: []string{"created_at"},
			Fieldsets: []admin.Fieldset{
				{Name: "Post", Fields: []string{"title", "slug", "author_id", "cover_id", "body"}},
				{Name: "Publishing", Fields: []string{"published", "published_at", "created_at"}},
			},
			Actions: []admin.Action{{Name: "publish", Label: "Publish selected posts", Run: publish(enq)}}},
		"tags":      {Display: "name", Ordering: []string{"name"}},
		"post_tags": {ListFilter: []string{"tag_id"}},
	}
}

// publish marks the selected posts published now (those not already,
// through the blog's PostPublish query) and, in the same transaction,
// enqueues a PostPublishedArgs job for each: the jobs exist only if the
// posts were published.
func publish(enq *jobs.Client) func(context.Context, *sql.Tx, admin.Selection) (string, error) {
	return func(ctx context.Context, tx *sql.Tx, sel admin.Selection) (string, error) {
		q := db.Queries(&framework.Tx{Tx: tx, Dialect: sel.Dialect})
		now := sql.NullTime{Time: time.Now().UTC().Truncate(time.Second), Valid: true}
		n := int64(0)
		for _, k := range sel.Keys {
			id, err := strconv.ParseInt(k[0], 10, 64)
			if err != nil {
				return "", err
			}
			c, err := q.PostPublish(ctx, db.PostPublishParams{ID: id, PublishedAt: now})
			if err != nil {
				return "", err
			}
			if c == 0 {
				continue
			}
			n += c
			if _, err := enq.EnqueueTx(ctx, tx, PostPublishedArgs{PostID: id}, nil); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("Published %d post(s); %d already were.", n, int64(len(sel.Keys))-n), nil
	}
}

// EnsureSuperuser creates the user "admin" with a random password when the
// database has no user yet, and prints the credentials to out once. It
// also seeds the table permissions.
func EnsureSuperuser(ctx context.Context, app *framework.App, out io.Writer) error {
	_, err := EnsureSuperuserIn(ctx, app.Database(), "the admin", out)
	return err
}

// EnsureSuperuserIn is EnsureSuperuser on d (a tenant's database in the
// tenant mode); where names it in the message. It reports whether it
// created the user.
func EnsureSuperuserIn(ctx context.Context, d *framework.Database, where string, out io.Writer) (bool, error) {
	svc := auth.New(d)
	if _, err := svc.SeedPermissions(ctx); err != nil {
		return false, fmt.Errorf("seed permissions: %w", err)
	}
	n, err := d.Queries().UserCount(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	pw := "demo-" + rand.Text()[:16]
	if _, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "admin", Email: "admin@example.com", Password: pw, Superuser: true}); err != nil {
		return false, fmt.Errorf("create the demo superuser: %w", err)
	}
	fmt.Fprintf(out, "Created the superuser for %s (shown once; change it at /password):\n  username: admin\n  password: %s\n", where, pw)
	return true, nil
}
