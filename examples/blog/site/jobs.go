package site

import (
	"context"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/session"
)

// PurgeSessionsArgs is the demo's periodic job: delete expired sessions.
type PurgeSessionsArgs struct{}

// Kind implements jobs.Args.
func (PurgeSessionsArgs) Kind() string { return "blog.purge_sessions" }

// StartJobs starts the demo's background-job client in the app process:
// the "default" queue with 10 workers and a periodic session purge every
// 10 minutes (once per slot however many instances run). Stop it with
// Stop on shutdown.
func StartJobs(ctx context.Context, app *framework.App) (*jobs.Client, error) {
	d := app.Database()
	sessions := session.NewStore(d.DB, d.Dialect)
	reg := jobs.NewRegistry()
	jobs.Register[PurgeSessionsArgs](reg, jobs.WorkFunc[PurgeSessionsArgs](func(ctx context.Context, _ *jobs.Job[PurgeSessionsArgs]) error {
		n, err := sessions.DeleteExpired(ctx)
		if err == nil && n > 0 {
			app.Logger().Info("purged expired sessions", "sessions", n)
		}
		return err
	}))
	c, err := jobs.New(jobs.NewSQL(d.DB, d.Dialect), jobs.Config{
		Registry: reg,
		Queues:   map[string]jobs.QueueConfig{"default": {MaxWorkers: 10}},
		Periodic: []jobs.PeriodicJob{{Schedule: jobs.Every(10 * time.Minute),
			Args: func(time.Time) jobs.Args { return PurgeSessionsArgs{} }}},
		Logger: app.Logger(),
	})
	if err != nil {
		return nil, err
	}
	return c, c.Start(ctx)
}
