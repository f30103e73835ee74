// Command quarry is the Quarry command line: code generation, migrations
// and the development server. Run it as `go tool quarry` from an app's
// module (after `go get -tool github.com/quarry-go/quarry/cmd/quarry`) or as
// `go run ./cmd/quarry` in this repository.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// run executes the CLI and returns the process exit code: 0 on success, 1
// on failure, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runRoot(ctx, newRootCmd(stdout, stderr), args, stderr)
}

// runRoot is run with the root command built by the caller (a test sets
// its stdin).
func runRoot(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer) int {
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "quarry: interrupted")
		return 130
	}
	fmt.Fprintf(stderr, "quarry: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsageError(err) {
		fmt.Fprintln(stderr, "Run 'quarry --help' for usage.")
		return 2
	}
	return 1
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "quarry",
		Short: "Quarry: a SQL-first web framework for Go",
		Long: `Quarry turns SQL DDL and sqlc queries into a web application.

  quarry gen            run sqlc, check dialect parity, write adapters
  quarry migrate up     apply the framework's migrations, then the app's
  quarry serve          serve the framework router (health checks) on QUARRY_BIND
  quarry worker         run the job queue maintenance (--tenants: every tenant's too); --status prints counts
  quarry tenant         create, list, suspend, migrate and delete tenants

Configuration comes from the environment: DATABASE_URL (sqlite:./var/app.db,
postgres://…, mysql://…), QUARRY_BIND, QUARRY_SECRET_KEY (and QUARRY_SECRET_KEY_FALLBACKS
for rotation), QUARRY_TRUSTED_PROXIES, QUARRY_ENV.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newGenCmd(), newMakeMigrationsCmd(), newMigrateCmd(), newInspectDBCmd(), newServeCmd(), newVersionCmd(),
		newCreateSuperuserCmd(), newChangePasswordCmd(), newSeedPermissionsCmd(), newWorkerCmd(), newTenantCmd(), newMediaCmd(), newOpenAPICmd())
	return root
}

// usageError marks a bad flag or argument (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func isUsageError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	// cobra reports unknown verbs as plain errors.
	return strings.HasPrefix(err.Error(), "unknown command ")
}

// exactArgs is cobra.ExactArgs with errors marked as usage errors.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
