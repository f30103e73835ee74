package site

import (
	"context"
	"log/slog"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/session"
)

// PurgeSessionsArgs is the demo's periodic job: delete expired sessions
// and the login-throttle rows the throttle has forgotten.
type PurgeSessionsArgs struct{}

// Kind implements jobs.Args.
func (PurgeSessionsArgs) Kind() string { return "blog.purge_sessions" }

// PostPublishedArgs is enqueued, with the publishing, by the admin's
// "publish" action. A real blog would email subscribers here; the worker
// is written to be safe to run twice (it only reads and logs).
type PostPublishedArgs struct {
	PostID int64 `json:"post_id"`
}

// Kind implements jobs.Args.
func (PostPublishedArgs) Kind() string { return "blog.post_published" }

// StartJobs starts the demo's background-job client in the app process:
// the "default" queue with 10 workers, the jobs of the publish action,
// a periodic purge of expired sessions and stale login-throttle rows
// every 10 minutes and of stale media every hour (once per slot however
// many instances run). Stop it with Stop on shutdown.
func StartJobs(ctx context.Context, app *framework.App) (*jobs.Client, error) {
	d := app.Database()
	svc, err := NewMedia(app)
	if err != nil {
		return nil, err
	}
	c, err := NewJobsClient(d, app.Logger(), svc)
	if err != nil {
		return nil, err
	}
	return c, c.Start(framework.WithDatabase(ctx, d))
}

// NewJobsClient returns the demo's jobs client over d, not started: the
// app's own (StartJobs) and, in the tenant mode, each tenant's
// (tenancy.Workers). Its workers use the database of the job's context
// (framework.DatabaseFrom: the tenant's inside a tenant), and d when the
// context has none; the media purge runs on svc.
func NewJobsClient(d *framework.Database, logger *slog.Logger, svc *media.Service) (*jobs.Client, error) {
	dbOf := func(ctx context.Context) *framework.Database {
		if cd := framework.DatabaseFrom(ctx); cd != nil {
			return cd
		}
		return d
	}
	sessions := session.NewStore(d) // uses the context's database
	reg := jobs.NewRegistry()
	jobs.Register[PurgeSessionsArgs](reg, jobs.WorkFunc[PurgeSessionsArgs](func(ctx context.Context, _ *jobs.Job[PurgeSessionsArgs]) error {
		n, err := sessions.DeleteExpired(ctx)
		if err != nil {
			return err
		}
		stale, err := auth.NewThrottle(dbOf(ctx)).DeleteStale(ctx)
		if n > 0 || stale > 0 {
			logger.Info("purged expired sessions and stale login-throttle rows", "sessions", n, "throttle_rows", stale)
		}
		return err
	}))
	jobs.Register[PostPublishedArgs](reg, jobs.WorkFunc[PostPublishedArgs](func(ctx context.Context, j *jobs.Job[PostPublishedArgs]) error {
		jd := dbOf(ctx)
		var title string
		q := "SELECT title FROM posts WHERE id = " + jd.Dialect.Placeholder(1)
		if err := jd.DB.QueryRowContext(ctx, q, j.Args.PostID).Scan(&title); err != nil {
			return err
		}
		logger.Info("post published: subscribers would be notified now", "post", j.Args.PostID, "title", title)
		return nil
	}))
	purgeMedia := svc.RegisterPurge(reg, d, time.Hour)
	return jobs.New(jobs.NewSQL(d), jobs.Config{
		Registry: reg,
		Queues:   map[string]jobs.QueueConfig{"default": {MaxWorkers: 10}},
		Periodic: []jobs.PeriodicJob{{Schedule: jobs.Every(10 * time.Minute),
			Args: func(time.Time) jobs.Args { return PurgeSessionsArgs{} }}, purgeMedia},
		Logger: logger,
	})
}
