package main

import (
	"fmt"

	"github.com/spf13/cobra"
	sqlc "github.com/sqlc-dev/sqlc/pkg/cli"

	"github.com/quarry-go/quarry/framework/codegen"
)

func newGenCmd() *cobra.Command {
	var opts codegen.Options
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Run sqlc, check dialect parity and write the shared types and adapters",
		Long: `gen runs sqlc (built in, no separate install) on the sqlc.yaml in the current
directory. When the file has one entry per dialect, gen then checks that every
dialect defines the same queries with the same Go types, failing with a list
of each difference, and writes:

  <types>/queries_gen.go           the shared types and query interfaces, and
                                   Queries(h), which runs a *framework.Database or
                                   *framework.Tx through its dialect's adapter
  <adapter>/queries_gen.go         per dialect, beside <adapter>/internal/<pkg>;
                                   its init registers it with <types>.Queries

A program links in the adapters it runs on by importing them, as it does
database/sql drivers (import _ "<module>/<adapter>"); <types>.Queries panics
naming the import when the handle's dialect has none.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Read the config first for a precise message: sqlc prints its
			// own errors and exits the process on most of them.
			if _, err := codegen.ReadConfig(opts.Config); err != nil {
				return err
			}
			if code := sqlc.Run([]string{"generate", "-f", opts.Config}); code != 0 {
				return &exitError{code: 1, err: fmt.Errorf("sqlc generate failed (exit %d); see its message above", code)}
			}
			written, err := codegen.Generate(opts)
			if err != nil {
				return err
			}
			for _, path := range written {
				fmt.Fprintf(cmd.OutOrStdout(), "updated %s\n", path)
			}
			if len(written) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "generated code is up to date")
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "file", "f", "sqlc.yaml", "sqlc config file")
	cmd.Flags().StringVar(&opts.TypesDir, "types", "", "directory of the shared types package (required with several dialects)")
	return cmd
}
