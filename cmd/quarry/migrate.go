package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/migrate"
)

// migrateFlags are shared by every migrate verb.
type migrateFlags struct {
	dir         string
	databaseURL string
	framework   bool
}

func newMigrateCmd() *cobra.Command {
	f := &migrateFlags{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, undo and inspect migrations (framework's and app's)",
		Long: `migrate runs goose migrations against DATABASE_URL. There are two sets:
the framework's own tables (embedded in quarry, version table quarry_migrations)
and the app's, read from --dir (default ./migrations/<dialect> when it exists,
else ./migrations; version table goose_db_version). "up" applies the framework's first, then the app's; the
other verbs act on the app's set, or on the framework's with --framework.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown migrate verb %q (want up, down, up-to, down-to, redo, status or create)", args[0])}
			}
			return usageError{errors.New("migrate needs a verb: up, down, up-to, down-to, redo, status or create")}
		},
	}
	cmd.PersistentFlags().StringVar(&f.dir, "dir", "migrations", "directory of the app's migrations (default: migrations/<dialect> when it exists, else migrations)")
	cmd.PersistentFlags().StringVar(&f.databaseURL, "database-url", "", "database URL (default: $DATABASE_URL)")
	cmd.PersistentFlags().BoolVar(&f.framework, "framework", false, "act on the framework's migrations instead of the app's (down, up-to, down-to, redo)")

	cmd.AddCommand(
		&cobra.Command{
			Use: "up", Short: "Apply all pending migrations: the framework's, then the app's", Args: exactArgs(0),
			RunE: f.run(func(ctx context.Context, m *migrate.Migrator, _ []string) ([]migrate.Result, error) {
				return m.Up(ctx)
			}),
		},
		&cobra.Command{
			Use: "up-to VERSION", Short: "Apply pending migrations up to and including VERSION", Args: exactArgs(1),
			RunE: f.run(func(ctx context.Context, m *migrate.Migrator, args []string) ([]migrate.Result, error) {
				v, err := parseVersion(args[0])
				if err != nil {
					return nil, err
				}
				return m.UpTo(ctx, f.set(), v)
			}),
		},
		&cobra.Command{
			Use: "down", Short: "Undo the latest applied migration", Args: exactArgs(0),
			RunE: f.run(func(ctx context.Context, m *migrate.Migrator, _ []string) ([]migrate.Result, error) {
				return m.Down(ctx, f.set())
			}),
		},
		&cobra.Command{
			Use: "down-to VERSION", Short: "Undo applied migrations newer than VERSION (0 undoes all)", Args: exactArgs(1),
			RunE: f.run(func(ctx context.Context, m *migrate.Migrator, args []string) ([]migrate.Result, error) {
				v, err := parseVersion(args[0])
				if err != nil {
					return nil, err
				}
				return m.DownTo(ctx, f.set(), v)
			}),
		},
		&cobra.Command{
			Use: "redo", Short: "Undo the latest applied migration and apply it again", Args: exactArgs(0),
			RunE: f.run(func(ctx context.Context, m *migrate.Migrator, _ []string) ([]migrate.Result, error) {
				return m.Redo(ctx, f.set())
			}),
		},
		&cobra.Command{
			Use: "status", Short: "List every migration of both sets and whether it is applied", Args: exactArgs(0),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return f.withMigrator(cmd, func(m *migrate.Migrator) error {
					sts, err := m.Status(cmd.Context())
					printStatus(cmd.OutOrStdout(), sts)
					return err
				})
			},
		},
		&cobra.Command{
			Use: "create NAME", Short: "Write an empty SQL migration NNNNN_NAME.sql in --dir", Args: exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				dir, err := f.createDir(cmd)
				if err != nil {
					return err
				}
				path, err := migrate.Create(dir, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created %s\n", path)
				return nil
			},
		},
	)
	return cmd
}

func (f *migrateFlags) set() migrate.Set {
	if f.framework {
		return migrate.Framework
	}
	return migrate.App
}

// run adapts a verb that returns results: it prints each applied or undone
// migration, or "nothing to do".
func (f *migrateFlags) run(verb func(context.Context, *migrate.Migrator, []string) ([]migrate.Result, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return f.withMigrator(cmd, func(m *migrate.Migrator) error {
			res, err := verb(cmd.Context(), m, args)
			out := cmd.OutOrStdout()
			for _, r := range res {
				fmt.Fprintf(out, "%s\n", r)
			}
			if err == nil && len(res) == 0 {
				fmt.Fprintln(out, "nothing to do")
			}
			return err
		})
	}
}

func (f *migrateFlags) withMigrator(cmd *cobra.Command, fn func(*migrate.Migrator) error) error {
	raw, err := databaseURL(f.databaseURL)
	if err != nil {
		return err
	}
	u, err := dialects.ParseURL(raw)
	if err != nil {
		return usageError{err}
	}
	appFS, err := f.appFS(cmd, u.Dialect.Name())
	if err != nil {
		return err
	}
	db, err := framework.OpenDatabase(cmd.Context(), raw)
	if err != nil {
		return err
	}
	defer db.DB.Close()
	m, err := migrate.New(db, migrate.Options{AppFS: appFS})
	if err != nil {
		return err
	}
	return fn(m)
}

// appFS opens the app's migrations: --dir, or by default ./migrations —
// or ./migrations/<dialect> when that exists, for an app that keeps one set
// per dialect. A missing default directory means the app has no migrations
// yet; a missing directory named with --dir is an error.
func (f *migrateFlags) appFS(cmd *cobra.Command, d dialects.Name) (fs.FS, error) {
	dir := f.appDir(cmd, d)
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("--dir %s is not a directory", dir)
	case err == nil:
		return os.DirFS(dir), nil
	case errors.Is(err, fs.ErrNotExist) && !cmd.Flags().Changed("dir"):
		fmt.Fprintf(cmd.ErrOrStderr(), "note: no %s directory; only the framework's migrations apply\n", dir)
		return nil, nil
	default:
		return nil, fmt.Errorf("migrations directory: %w", err)
	}
}

// appDir is --dir, or by default migrations/<dialect> when that directory
// exists, else migrations.
func (f *migrateFlags) appDir(cmd *cobra.Command, d dialects.Name) string {
	if !cmd.Flags().Changed("dir") {
		if st, err := os.Stat(filepath.Join(f.dir, string(d))); err == nil && st.IsDir() {
			return filepath.Join(f.dir, string(d))
		}
	}
	return f.dir
}

// createDir is where `migrate create` writes: the directory the other
// verbs read for the configured database. Without a usable DATABASE_URL
// it is --dir, unless that holds one directory per dialect, which would
// leave the choice to a guess.
func (f *migrateFlags) createDir(cmd *cobra.Command) (string, error) {
	raw, err := databaseURL(f.databaseURL)
	if err == nil {
		var u *dialects.URL
		if u, err = dialects.ParseURL(raw); err == nil {
			return f.appDir(cmd, u.Dialect.Name()), nil
		}
	}
	if !cmd.Flags().Changed("dir") {
		for _, d := range dialects.All() {
			if st, statErr := os.Stat(filepath.Join(f.dir, string(d))); statErr == nil && st.IsDir() {
				return "", usageError{fmt.Errorf("%s holds one directory per dialect and the database is unknown (%v): set DATABASE_URL or pass --dir", f.dir, err)}
			}
		}
	}
	return f.dir, nil
}

// databaseURL returns the flag value, else $DATABASE_URL, else (in dev and
// test) the default SQLite file.
func databaseURL(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return v, nil
	}
	switch framework.Env(strings.ToLower(os.Getenv("QUARRY_ENV"))) {
	case "", framework.EnvDev, framework.EnvTest:
		return "sqlite:./var/app.db", nil
	}
	return "", usageError{errors.New("DATABASE_URL is not set (or pass --database-url)")}
}

func parseVersion(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, usageError{fmt.Errorf("VERSION %q is not a migration number (e.g. 3 for 00003_x.sql)", s)}
	}
	return v, nil
}

func printStatus(w io.Writer, sts []migrate.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SET\tVERSION\tSTATE\tAPPLIED AT\tFILE")
	for _, s := range sts {
		state, at := "pending", "-"
		if s.Applied {
			state, at = "applied", s.AppliedAt
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Set, s.Version, state, at, s.Name)
	}
	tw.Flush()
}
