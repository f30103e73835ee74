package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/schemadiff"
)

func newMakeMigrationsCmd() *cobra.Command {
	var (
		schemaDir, dir, name, dialect, devURL string
		dryRun, check, allowDestructive, fw   bool
		concurrentIndexes                     bool
	)
	cmd := &cobra.Command{
		Use:   "makemigrations",
		Short: "Write the goose migration that takes the migrations' schema to the DDL's, verified",
		Long: `makemigrations compares the schema your migrations build with the one your DDL
describes and writes the migration between them, with its down, after proving
both on scratch databases (SQLite in memory; a temporary database on the dev
server for PostgreSQL and MySQL, dropped afterwards). Your database is never
touched.

Defaults: the dialect of DATABASE_URL; the DDL in sql/<dialect>/ when it exists,
else sql/; the migrations in migrations/<dialect>/ when it exists, else
migrations/; the dev server is --dev-url, else $QUARRY_DEV_URL, else the
server of DATABASE_URL.

Destructive changes (dropping a table, a column, a unique index or a foreign
key; narrowing a type) are refused unless --allow-destructive; adding a NOT
NULL column without a default is refused with the fix spelled out.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, dev, err := makeMigrationsDialect(dialect, devURL)
			if err != nil {
				return err
			}
			if concurrentIndexes && !d.Capabilities().ConcurrentIndexes {
				return usageError{fmt.Errorf("--concurrent-indexes: %s cannot build indexes concurrently (PostgreSQL can)", d.Name())}
			}
			schemaDir = defaultPerDialect(cmd, "schema", schemaDir, d.Name())
			dir = defaultPerDialect(cmd, "dir", dir, d.Name())
			if st, err := os.Stat(schemaDir); err != nil || !st.IsDir() {
				return usageError{fmt.Errorf("schema directory %s: not found (pass --schema)", schemaDir)}
			}
			opts := schemadiff.Options{Dialect: d, SchemaDir: schemaDir, DevURL: dev, FrameworkSchema: fw,
				AllowDestructive: allowDestructive, Name: name, ConcurrentIndexes: concurrentIndexes}
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				opts.Migrations = os.DirFS(dir)
			}
			res, err := schemadiff.Diff(cmd.Context(), opts)
			out := cmd.OutOrStdout()
			if err != nil {
				return err
			}
			if res.Empty() {
				fmt.Fprintln(out, "no changes")
				return nil
			}
			if check {
				fmt.Fprintf(cmd.ErrOrStderr(), "the DDL in %s and the migrations in %s disagree:\n", schemaDir, dir)
				for _, s := range res.Summary {
					fmt.Fprintf(cmd.ErrOrStderr(), "  %s\n", s)
				}
				return &exitError{code: 1, err: errors.New("migrations are behind the DDL: run quarry makemigrations")}
			}
			if dryRun {
				fmt.Fprint(out, res.File)
				return nil
			}
			if name == "" {
				name = slug(res.Summary[0])
			}
			path, err := migrate.CreateWith(dir, name, []byte(res.File))
			if err != nil {
				return fmt.Errorf("write the migration: %w", err)
			}
			fmt.Fprintf(out, "created %s\n", path)
			for _, s := range res.Summary {
				fmt.Fprintf(out, "  %s\n", s)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&schemaDir, "schema", "sql", "directory of the DDL (default: sql/<dialect> when it exists, else sql)")
	f.StringVar(&dir, "dir", "migrations", "directory of the migrations (default: migrations/<dialect> when it exists, else migrations)")
	f.StringVar(&name, "name", "", "name of the migration file (default: from the first change)")
	f.StringVar(&dialect, "dialect", "", "postgres, mysql or sqlite (default: that of DATABASE_URL)")
	f.StringVar(&devURL, "dev-url", "", "server for scratch databases (default: $QUARRY_DEV_URL, else DATABASE_URL's server)")
	f.BoolVar(&dryRun, "dry-run", false, "print the migration instead of writing it")
	f.BoolVar(&check, "check", false, "exit 1 when the migrations are behind the DDL (for CI); write nothing")
	f.BoolVar(&allowDestructive, "allow-destructive", false, "allow drops and narrowing type changes")
	f.BoolVar(&concurrentIndexes, "concurrent-indexes", false, "PostgreSQL: build indexes on existing tables CONCURRENTLY (NO TRANSACTION migration)")
	f.BoolVar(&fw, "framework-schema", false, "the DDL is Quarry's own (migrations versioned in quarry_migrations)")
	_ = f.MarkHidden("framework-schema")
	return cmd
}

// makeMigrationsDialect picks the dialect (--dialect, else DATABASE_URL's)
// and the dev server URL.
func makeMigrationsDialect(flagDialect, flagDev string) (dialects.Dialect, string, error) {
	dev := flagDev
	if dev == "" {
		dev = os.Getenv("QUARRY_DEV_URL")
	}
	raw, urlErr := databaseURL("")
	var u *dialects.URL
	if urlErr == nil {
		u, urlErr = dialects.ParseURL(raw)
	}
	var d dialects.Dialect
	switch {
	case flagDialect != "":
		var err error
		if d, err = dialects.Lookup(dialects.Name(flagDialect)); err != nil {
			return nil, "", usageError{err}
		}
	case urlErr != nil:
		return nil, "", usageError{fmt.Errorf("no dialect: pass --dialect or set a valid DATABASE_URL (%v)", urlErr)}
	default:
		d = u.Dialect
	}
	// DATABASE_URL's server can hold the scratch databases of its dialect;
	// a dialect without servers makes them in memory.
	if dev == "" && u != nil && u.Dialect.Name() == d.Name() && d.Capabilities().ServerDatabases {
		dev = raw
	}
	return d, dev, nil
}

// defaultPerDialect returns the flag's value, or when the flag is not set
// and <value>/<dialect> is a directory, that directory.
func defaultPerDialect(cmd *cobra.Command, flag, value string, d dialects.Name) string {
	if cmd.Flags().Changed(flag) {
		return value
	}
	if st, err := os.Stat(filepath.Join(value, string(d))); err == nil && st.IsDir() {
		return filepath.Join(value, string(d))
	}
	return value
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a change summary into a file name part.
func slug(s string) string {
	s = strings.Trim(nonWord.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "_")
	}
	if s == "" {
		return "changes"
	}
	return s
}
