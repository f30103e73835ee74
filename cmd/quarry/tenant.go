package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/tenancy"
)

// tenantFlags are shared by every tenant verb.
type tenantFlags struct {
	databaseURL, sqliteDir, prefix, dir, rlsRole string
}

func newTenantCmd() *cobra.Command {
	f := &tenantFlags{}
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Create, list, suspend, migrate and delete tenants (multi-tenancy)",
		Long: `tenant manages the tenant registry kept in DATABASE_URL's database (its tables
are created on first use, versioned in quarry_tenancy_migrations). Each tenant
has a database of its own: a SQLite file under --sqlite-dir when the registry
is on SQLite, else a database named <prefix><slug> on the registry's server,
or wherever --tenant-database-url says. create and migrate apply the
framework's migrations and the app's (--dir, as for quarry migrate) to it;
createsuperuser makes a superuser in one tenant's database only.
Database passwords are never printed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown tenant verb %q (want create, list, show, suspend, resume, delete, migrate, createsuperuser, adddomain, removedomain or brand)", args[0])}
			}
			return usageError{errors.New("tenant needs a verb: create, list, show, suspend, resume, delete, migrate, createsuperuser, adddomain, removedomain or brand")}
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.databaseURL, "database-url", "", "the registry's database URL (default: $DATABASE_URL)")
	pf.StringVar(&f.sqliteDir, "sqlite-dir", tenancy.DefaultSQLiteDir, "directory of SQLite tenants' files")
	pf.StringVar(&f.prefix, "database-prefix", tenancy.DefaultDatabasePrefix, "start of the names of tenant databases made on a server")
	pf.StringVar(&f.rlsRole, "rls-role", tenancy.DefaultRLSRole, "the role rls tenants' connections become (created when missing)")
	pf.StringVar(&f.dir, "dir", "migrations", "directory of the app's migrations (default: migrations/<dialect> when it exists, else migrations)")

	var name, mode, tenantURL string
	create := &cobra.Command{
		Use: "create SLUG", Short: "Register a tenant, create its database and migrate it", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
				t, err := reg.Create(cmd.Context(), tenancy.CreateParams{Slug: args[0], Name: name, Mode: tenancy.Mode(mode), DatabaseURL: tenantURL})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created tenant %s (id %d) in %s\n", t.Slug, t.ID, tenantData(t))
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "display name (default: the slug)")
	create.Flags().StringVar(&mode, "mode", string(tenancy.ModeDatabase), "storage mode: database; schema (a PostgreSQL schema in the registry's database, or in --tenant-database-url's); rls (rows in that database's tables shared under row-level security)")
	create.Flags().StringVar(&tenantURL, "tenant-database-url", "", "URL of the database to create for the tenant, e.g. on another server (default: beside the registry); with --mode schema, of the existing database to create its schema in")

	var all bool
	var concurrency int
	migrateCmd := &cobra.Command{
		Use: "migrate [SLUG]", Short: "Apply pending migrations to one tenant, or to all with --all",
		Args: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) || len(args) > 1 {
				return usageError{errors.New("name one tenant, or pass --all")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
				out := cmd.OutOrStdout()
				if !all {
					t, err := reg.Show(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					if err := reg.MigrateTenant(cmd.Context(), t); err != nil {
						return err
					}
					fmt.Fprintf(out, "%s: up to date\n", t.Slug)
					return nil
				}
				return migrateAllTenants(cmd, reg, concurrency)
			})
		},
	}
	migrateCmd.Flags().BoolVar(&all, "all", false, "migrate every tenant (a failure does not stop the others)")
	migrateCmd.Flags().IntVar(&concurrency, "concurrency", 4, "tenants migrated at once with --all")

	var yes, keepData, noArchive bool
	deleteCmd := &cobra.Command{
		Use:   "delete SLUG",
		Short: "Delete a tenant, archiving its database first where the database allows (asks first unless --yes)",
		Long: `Delete a tenant from the registry. Its data is archived first where the database allows:
a SQLite file is moved to <sqlite-dir>/archive/<slug>-<yyyymmddhhmmss>.db (with its -wal and -shm
files); a PostgreSQL database or schema is renamed quarry_a_<slug>_<yyyymmddhhmmss> (UTC), ending
the sessions connected to it. MySQL and MariaDB cannot rename a database: there it is dropped, and
the output says so. --no-archive drops the data everywhere; --keep-data leaves it in place.
A tenant with row-level security has its rows deleted from the shared tables.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keepData && noArchive {
				return usageError{errors.New("--keep-data and --no-archive exclude each other")}
			}
			return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
				t, err := reg.Show(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if !yes {
					what := "and ARCHIVE its " + tenantData(t) + " (dropped instead where the database cannot rename it)"
					if noArchive || t.Mode == tenancy.ModeRLS {
						what = "and DROP its " + tenantData(t)
						if t.Mode == tenancy.ModeSchema {
							what += " (CASCADE)"
						}
					}
					if keepData {
						what = "(its " + tenantData(t) + " is kept)"
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "Delete tenant %s %s? Type the slug to confirm: ", t.Slug, what)
					line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
					if strings.TrimSpace(line) != t.Slug {
						fmt.Fprintln(cmd.ErrOrStderr())
						return &exitError{code: 1, err: errors.New("not confirmed; nothing deleted (pass --yes to skip the question)")}
					}
				}
				res, err := reg.DeleteTenant(cmd.Context(), t.Slug, tenancy.DeleteOptions{KeepData: keepData, NoArchive: noArchive})
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				switch {
				case res.Archive != "" && t.Mode == tenancy.ModeSchema:
					fmt.Fprintf(out, "archived its schema %s as schema %s in %s\n", t.Schema, res.Archive, dialects.Redact(t.DatabaseURL))
				case res.Archive != "" && strings.HasPrefix(res.Archive, tenancy.ArchivePrefix):
					fmt.Fprintf(out, "archived its database as %s on the server of %s\n", res.Archive, dialects.Redact(t.DatabaseURL))
				case res.Archive != "":
					fmt.Fprintf(out, "archived its database file to %s\n", res.Archive)
				case res.Dropped && res.NotArchived != "":
					fmt.Fprintf(out, "not archived (%s): dropped its %s\n", res.NotArchived, tenantData(t))
				case res.Dropped:
					fmt.Fprintf(out, "dropped its %s\n", tenantData(t))
				case keepData:
					fmt.Fprintf(out, "kept its %s\n", tenantData(t))
				default:
					fmt.Fprintln(out, "it had no data to archive")
				}
				fmt.Fprintf(out, "deleted tenant %s\n", t.Slug)
				return nil
			})
		},
	}
	deleteCmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	deleteCmd.Flags().BoolVar(&keepData, "keep-data", false, "leave the tenant's database in place")
	deleteCmd.Flags().BoolVar(&noArchive, "no-archive", false, "drop the tenant's database rather than archive it")

	var uf userFlags
	var suUsername, suEmail string
	superuserCmd := &cobra.Command{
		Use:   "createsuperuser SLUG",
		Short: "Create a superuser in a tenant's database (interactive, or with --username and --password/--generate)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
				t, err := reg.Show(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if t.Status == tenancy.StatusProvisioning {
					return fmt.Errorf("tenant %s is still being created (or its creation was cut off: delete it and create it again)", t.Slug)
				}
				return createSuperuser(cmd, &uf, suUsername, suEmail, func() (*auth.Service, func(), error) {
					db, err := reg.Open(cmd.Context(), t)
					if err != nil {
						return nil, nil, err
					}
					return auth.New(db), func() { db.DB.Close() }, nil
				})
			})
		},
	}
	uf.registerPassword(superuserCmd)
	superuserCmd.Flags().StringVar(&suUsername, "username", "", "the username")
	superuserCmd.Flags().StringVar(&suEmail, "email", "", "the email address")

	status := func(use, short string, s tenancy.Status, done string) *cobra.Command {
		return &cobra.Command{
			Use: use + " SLUG", Short: short, Args: exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
					if err := reg.SetStatus(cmd.Context(), args[0], s); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", done, args[0])
					return nil
				})
			},
		}
	}
	domain := func(use, short string, fn func(*tenancy.Registry, *cobra.Command, string, string) error, done string) *cobra.Command {
		return &cobra.Command{
			Use: use + " SLUG HOST", Short: short, Args: exactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
					if err := fn(reg, cmd, args[0], args[1]); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", done, strings.ToLower(args[1]), args[0])
					return nil
				})
			},
		}
	}

	var logoURL, accent string
	brandCmd := &cobra.Command{
		Use:   "brand SLUG",
		Short: "Set a tenant's admin logo (--logo-url) and accent colour (--accent #rrggbb); \"\" clears one",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if !fl.Changed("logo-url") && !fl.Changed("accent") {
				return usageError{errors.New("brand needs --logo-url, --accent or both (\"\" clears one)")}
			}
			return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
				t, err := reg.Show(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				logo, acc := t.LogoURL, t.Accent
				if fl.Changed("logo-url") {
					logo = logoURL
				}
				if fl.Changed("accent") {
					acc = accent
				}
				if err := reg.SetBranding(cmd.Context(), t.Slug, logo, acc); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "branded %s: logo %q, accent %q\n", t.Slug, logo, strings.ToLower(acc))
				return nil
			})
		},
	}
	brandCmd.Flags().StringVar(&logoURL, "logo-url", "", "the logo: an https:// URL or a path starting with /")
	brandCmd.Flags().StringVar(&accent, "accent", "", "the accent colour, #rrggbb")

	cmd.AddCommand(create,
		&cobra.Command{
			Use: "list", Short: "List every tenant", Args: exactArgs(0),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
					ts, err := reg.List(cmd.Context())
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "SLUG\tNAME\tMODE\tSTATUS\tDATABASE\tCREATED")
					for _, t := range ts {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Mode, t.Status, dialects.Redact(t.DatabaseURL), t.CreatedAt.UTC().Format(time.RFC3339))
					}
					return tw.Flush()
				})
			},
		},
		&cobra.Command{
			Use: "show SLUG", Short: "Show one tenant and its domains", Args: exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return f.withRegistry(cmd, func(reg *tenancy.Registry) error {
					t, err := reg.Show(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					hosts, err := reg.Domains(cmd.Context(), t.Slug)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
					for _, kv := range [][2]string{{"slug", t.Slug}, {"name", t.Name}, {"id", fmt.Sprint(t.ID)}, {"mode", string(t.Mode)},
						{"status", string(t.Status)}, {"database", dialects.Redact(t.DatabaseURL)}, {"schema", t.Schema}, {"domains", strings.Join(hosts, " ")},
						{"logo", t.LogoURL}, {"accent", t.Accent},
						{"created", t.CreatedAt.UTC().Format(time.RFC3339)}, {"updated", t.UpdatedAt.UTC().Format(time.RFC3339)}} {
						fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
					}
					return tw.Flush()
				})
			},
		},
		status("suspend", "Suspend a tenant: its requests are answered 404", tenancy.StatusSuspended, "suspended"),
		status("resume", "Resume a suspended tenant", tenancy.StatusActive, "resumed"),
		deleteCmd,
		migrateCmd,
		superuserCmd,
		domain("adddomain", "Register a custom domain for a tenant", func(reg *tenancy.Registry, cmd *cobra.Command, slug, host string) error {
			return reg.AddDomain(cmd.Context(), slug, host)
		}, "added"),
		domain("removedomain", "Unregister a tenant's custom domain", func(reg *tenancy.Registry, cmd *cobra.Command, slug, host string) error {
			return reg.RemoveDomain(cmd.Context(), slug, host)
		}, "removed"),
		brandCmd,
	)
	return cmd
}

// withRegistry opens the registry's database, brings its tables up to date
// and runs fn with the registry.
func (f *tenantFlags) withRegistry(cmd *cobra.Command, fn func(*tenancy.Registry) error) error {
	db, err := openDatabaseFlag(cmd, f.databaseURL)
	if err != nil {
		return err
	}
	defer db.DB.Close()
	reg, err := f.registry(cmd, db)
	if err != nil {
		return err
	}
	return fn(reg)
}

// openDatabaseFlag opens the database at --database-url, else
// $DATABASE_URL (see databaseURL); a malformed URL is a usage error.
func openDatabaseFlag(cmd *cobra.Command, flag string) (*framework.Database, error) {
	raw, err := databaseURL(flag)
	if err != nil {
		return nil, err
	}
	if _, err := dialects.ParseURL(raw); err != nil {
		return nil, usageError{err}
	}
	return framework.OpenDatabase(cmd.Context(), raw)
}

// registry returns the registry kept in db, with the flags' options, its
// tables brought up to date.
func (f *tenantFlags) registry(cmd *cobra.Command, db *framework.Database) (*tenancy.Registry, error) {
	reg := tenancy.NewRegistry(db, tenancy.RegistryOptions{SQLiteDir: f.sqliteDir, DatabasePrefix: f.prefix, RLSRole: f.rlsRole, AppMigrations: f.appMigrations(cmd)})
	if err := reg.Migrate(cmd.Context()); err != nil {
		return nil, err
	}
	return reg, nil
}

// appMigrations reads the app's migrations for a tenant's dialect as
// quarry migrate does: --dir/<dialect> when it exists, else --dir; a
// missing default directory means the app has none.
func (f *tenantFlags) appMigrations(cmd *cobra.Command) func(dialects.Name) (fs.FS, error) {
	return func(d dialects.Name) (fs.FS, error) {
		dir := f.dir
		if st, err := os.Stat(filepath.Join(f.dir, string(d))); err == nil && st.IsDir() {
			dir = filepath.Join(f.dir, string(d))
		}
		st, err := os.Stat(dir)
		switch {
		case err == nil && st.IsDir():
			return os.DirFS(dir), nil
		case err == nil:
			return nil, fmt.Errorf("--dir %s is not a directory", dir)
		case errors.Is(err, fs.ErrNotExist) && !cmd.Flags().Changed("dir"):
			return nil, nil
		}
		return nil, fmt.Errorf("migrations directory: %w", err)
	}
}

// tenantData names where a tenant's data lives, its URL redacted: its
// database, or its schema in a database.
func tenantData(t *tenancy.Tenant) string {
	switch t.Mode {
	case tenancy.ModeSchema:
		return "schema " + t.Schema + " in " + dialects.Redact(t.DatabaseURL)
	case tenancy.ModeRLS:
		return "rows in the shared tables of " + dialects.Redact(t.DatabaseURL)
	}
	return "database " + dialects.Redact(t.DatabaseURL)
}
