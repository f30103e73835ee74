package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
)

func newWorkerCmd() *cobra.Command {
	var status bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the job queue's maintenance, or print its status (--status)",
		Long: `worker runs the background-job maintenance against DATABASE_URL until
SIGINT/SIGTERM: it makes scheduled and retryable jobs available when due,
rescues the jobs of workers that died (expired leases) and deletes finished
jobs past retention. Any number may run; each step is idempotent.

Job kinds are Go code, so the workers that run them live in the app's own
binary: build a jobs.Client with your Registry and call Run (the demo does
this in examples/blog/site/jobs.go).

With --status it prints the number of jobs by queue and state, and the
paused queues, then exits.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := framework.ConfigFromEnv()
			if err != nil {
				return usageError{err}
			}
			ctx := cmd.Context()
			app, err := framework.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			d := app.Database()
			tables, err := d.Dialect.TableNames(ctx, d.DB)
			if err != nil {
				return err
			}
			if !slices.Contains(tables, "quarry_jobs") {
				return fmt.Errorf("%s has no quarry_jobs table: run 'quarry migrate up' first", app.URL())
			}
			c, err := jobs.New(jobs.NewSQL(d), jobs.Config{Logger: app.Logger()})
			if err != nil {
				return err
			}
			if status {
				counts, err := c.Counts(ctx)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "%-20s %-10s %10s\n", "QUEUE", "STATE", "JOBS")
				for _, n := range counts {
					fmt.Fprintf(out, "%-20s %-10s %10d\n", n.Queue, n.State, n.Jobs)
				}
				queues, err := c.Backend().Queues(ctx)
				if err != nil {
					return err
				}
				for _, q := range queues {
					if q.Paused {
						fmt.Fprintf(out, "paused: %s (since %s)\n", q.Name, q.UpdatedAt.Format(time.RFC3339))
					}
				}
				return nil
			}
			app.Logger().Info("jobs maintenance running", "database", app.URL().String())
			return c.Run(ctx, grace)
		},
	}
	cmd.Flags().BoolVar(&status, "status", false, "print job counts by queue and state, and paused queues, then exit")
	cmd.Flags().DurationVar(&grace, "grace", 10*time.Second, "how long shutdown waits")
	return cmd
}
