package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/schemadiff"
)

func newInspectDBCmd() *cobra.Command {
	var (
		out, databaseURLFlag string
		framework            bool
	)
	cmd := &cobra.Command{
		Use:   "inspectdb",
		Short: "Write the DDL of a live database, to adopt an existing schema",
		Long: `inspectdb reads the database at DATABASE_URL (or --database-url) and writes
the DDL of its tables and views (and triggers on SQLite; functions, triggers
and extensions on PostgreSQL) to stdout or --out, e.g. sql/schema.sql. It
changes no schema or data (a SQLite file is switched to WAL, as Quarry opens
it). goose's version tables and the framework's own tables (quarry_*, unless
--framework) are left out; MySQL routines and triggers are counted in a
comment, not written.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := databaseURL(databaseURLFlag)
			if err != nil {
				return err
			}
			u, err := dialects.ParseURL(raw)
			if err != nil {
				return usageError{err}
			}
			// A database neither on a server nor in memory is a file,
			// which opening would create.
			if !u.Dialect.Capabilities().ServerDatabases && !u.Memory {
				if _, err := os.Stat(u.Database); err != nil {
					return fmt.Errorf("no SQLite database to inspect at %s: %w", u.Database, err)
				}
			}
			db, err := dialects.OpenURL(cmd.Context(), u)
			if err != nil {
				return err
			}
			defer db.Close()
			ddl, err := schemadiff.Inspect(cmd.Context(), db, u, schemadiff.InspectOptions{Framework: framework})
			if err != nil {
				return err
			}
			if out == "" {
				_, err := fmt.Fprint(cmd.OutOrStdout(), ddl)
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, []byte(ddl), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default: stdout)")
	cmd.Flags().StringVar(&databaseURLFlag, "database-url", "", "database URL (default: $DATABASE_URL)")
	cmd.Flags().BoolVar(&framework, "framework", false, "include the framework's own tables (quarry_*)")
	return cmd
}
