package main

import (
	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/framework"
)

func newServeCmd() *cobra.Command {
	var bind string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the framework router (health and readiness checks) until SIGINT/SIGTERM",
		Long: `serve starts the framework's HTTP server on QUARRY_BIND (or --bind) with the
database from DATABASE_URL: /healthz and /readyz, the request-id, access-log and
recovery middleware, and graceful shutdown. An app mounts its own handlers by
building its own main around framework.New (see examples/blog).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := framework.ConfigFromEnv()
			if cmd.Flags().Changed("bind") {
				cfg.Bind = bind
				err = cfg.Validate()
			}
			if err != nil {
				return usageError{err}
			}
			app, err := framework.New(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			return app.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&bind, "bind", "", "listen address (default: $QUARRY_BIND or 127.0.0.1:8000)")
	return cmd
}
