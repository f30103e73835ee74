package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/codegen"
	"github.com/quarry-go/quarry/framework/records"
	"github.com/quarry-go/quarry/framework/schemadiff"
)

func newOpenAPICmd() *cobra.Command {
	var (
		opts                      codegen.Options
		out, title, version       string
		tables, prefix, schemaDir string
		dialect, devURL           string
	)
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Write the OpenAPI 3.1 document of the endpoints (quarry:endpoint) and of tables served as resources",
		Long: `openapi writes the OpenAPI 3.1 document api.Mount serves at
<DocsPath>/openapi.json, to --out (default: standard output).

The endpoints are the queries annotated with -- quarry:endpoint: openapi reads
what quarry gen read (the sqlc.yaml in the current directory, sqlc's output and
the query files), so run quarry gen first.

--tables adds tables served as REST resources (api.Options.Resources) under
--prefix, with the resources' default options: "all" for every table of the DDL
with a primary key, or names, comma-separated. Their schemas come from the DDL
(--schema, default sql/<dialect> when it exists, else sql), applied to a scratch
database as makemigrations does (SQLite in memory; a temporary database on the
dev server for PostgreSQL and MySQL). An app whose resources have options
(exclusions, read-only fields) writes its exact document with api.Document.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var eps []api.Endpoint
			if _, err := os.Stat(opts.Config); err == nil || tables == "" {
				var err error
				if eps, err = codegen.Describe(opts); err != nil {
					return err
				}
			}
			o := api.Options{Info: api.Info{Title: title, Version: version}, Prefix: prefix}
			if tables != "" {
				d, dev, err := makeMigrationsDialect(dialect, devURL)
				if err != nil {
					return err
				}
				schemaDir = defaultPerDialect(cmd, "schema", schemaDir, d.Name())
				if st, err := os.Stat(schemaDir); err != nil || !st.IsDir() {
					return usageError{fmt.Errorf("schema directory %s: not found (pass --schema)", schemaDir)}
				}
				if o.Schema, err = schemadiff.Schema(cmd.Context(), schemadiff.Options{Dialect: d, SchemaDir: schemaDir, DevURL: dev}); err != nil {
					return err
				}
				for _, t := range o.Schema.Tables {
					served := len(t.PrimaryKey) > 0 && !strings.HasPrefix(t.Name, "quarry_") && !slices.Contains(records.SecretTables, t.Name)
					if tables == "all" && served {
						o.Resources = append(o.Resources, api.Resource{Table: t.Name})
					}
				}
				if tables != "all" {
					for n := range strings.SplitSeq(tables, ",") {
						o.Resources = append(o.Resources, api.Resource{Table: strings.TrimSpace(n)})
					}
				}
			}
			if len(eps) == 0 && len(o.Resources) == 0 {
				return usageError{fmt.Errorf("nothing to describe: no query in %s's query files has a -- quarry:endpoint line, and no --tables", opts.Config)}
			}
			doc, err := api.Document(eps, o)
			if err != nil {
				return usageError{err}
			}
			doc = append(doc, '\n')
			if out == "" {
				_, err = cmd.OutOrStdout().Write(doc)
				return err
			}
			if err := os.WriteFile(out, doc, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d endpoints, %d resources)\n", out, len(eps), len(o.Resources))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Config, "config", "sqlc.yaml", "the sqlc config")
	f.StringVarP(&out, "out", "o", "", "the file to write (default: standard output)")
	f.StringVar(&title, "title", "API", "the document's title")
	f.StringVar(&version, "version", "1", "the document's version")
	f.StringVar(&tables, "tables", "", `tables served as resources: "all", or names, comma-separated`)
	f.StringVar(&prefix, "prefix", "/api", "the path the resources are served under (api.Options.Prefix)")
	f.StringVar(&schemaDir, "schema", "sql", "directory of the DDL, with --tables (default: sql/<dialect> when it exists, else sql)")
	f.StringVar(&dialect, "dialect", "", "the DDL's dialect, with --tables: postgres, mysql or sqlite (default: that of DATABASE_URL)")
	f.StringVar(&devURL, "dev-url", "", "server for the scratch database, with --tables (default: $QUARRY_DEV_URL, else DATABASE_URL's server)")
	return cmd
}
