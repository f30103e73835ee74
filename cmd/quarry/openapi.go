package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/codegen"
)

func newOpenAPICmd() *cobra.Command {
	var (
		opts       codegen.Options
		out, title string
		version    string
	)
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Write the OpenAPI 3.1 document of the endpoints annotated in the queries (quarry:endpoint)",
		Long: `openapi reads what quarry gen read (the sqlc.yaml in the current directory,
sqlc's output and the query files) and writes the OpenAPI 3.1 document of the
queries annotated with -- quarry:endpoint, the same document api.Mount serves
at <DocsPath>/openapi.json, to --out (default: standard output). Run quarry gen
first: it reads sqlc's output.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			eps, err := codegen.Describe(opts)
			if err != nil {
				return err
			}
			if len(eps) == 0 {
				return usageError{fmt.Errorf("no query in %s's query files has a -- quarry:endpoint line", opts.Config)}
			}
			doc, err := api.OpenAPI(api.Info{Title: title, Version: version}, eps)
			if err != nil {
				return err
			}
			doc = append(doc, '\n')
			if out == "" {
				_, err = cmd.OutOrStdout().Write(doc)
				return err
			}
			if err := os.WriteFile(out, doc, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d operations)\n", out, len(eps))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Config, "config", "sqlc.yaml", "the sqlc config")
	f.StringVarP(&out, "out", "o", "", "the file to write (default: standard output)")
	f.StringVar(&title, "title", "API", "the document's title")
	f.StringVar(&version, "version", "1", "the document's version")
	return cmd
}
