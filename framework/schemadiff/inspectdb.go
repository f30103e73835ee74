package schemadiff

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/schema"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/atlasdriver"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/introspect"
	qmigrate "github.com/quarry-go/quarry/framework/migrate"
)

// InspectOptions configures [Inspect].
type InspectOptions struct {
	// Framework includes the framework's own tables (quarry_*).
	Framework bool
}

// Inspect returns the DDL of a live database — its tables, then its views,
// functions and triggers — so an existing database can be adopted: save it
// as sql/schema.sql. goose's version tables are left out. It only reads.
func Inspect(ctx context.Context, db *sql.DB, u *dialects.URL, opts InspectOptions) (string, error) {
	d := u.Dialect
	drv, err := atlasdriver.Open(d, db)
	if err != nil {
		return "", err
	}
	s := &scratch{url: u, db: db, atlas: drv} // read only: never dropped
	var prefixes []string
	if !opts.Framework {
		prefixes = []string{"quarry_"}
	}
	sch, err := s.inspect(ctx, []string{qmigrate.FrameworkTable, qmigrate.AppTable, "quarry_migrate_lock", "goose_lock"}, prefixes)
	if err != nil {
		return "", err
	}
	var changes []schema.Change
	for _, o := range sch.Objects {
		changes = append(changes, &schema.AddObject{O: o})
	}
	for _, t := range sch.Tables {
		changes = append(changes, &schema.AddTable{T: t})
	}
	// A search index (SchemaTools.SearchIndexes) is written as the hint
	// that makes it, not as its statements.
	search, indexObjects, err := searchHints(ctx, db, d)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- Schema of a %s database, written by quarry inspectdb.\n", d.Name())
	if len(changes) > 0 {
		unqualified := ""
		plan, err := drv.PlanChanges(ctx, "inspectdb", changes, func(o *migrate.PlanOptions) {
			o.SchemaQualifier = &unqualified
			o.Mode = migrate.PlanModeDump
		})
		if err != nil {
			return "", fmt.Errorf("write DDL: %w", err)
		}
		for _, c := range plan.Changes {
			if isForeignKeysPragma(c.Cmd) {
				continue
			}
			b.WriteString("\n")
			if add, ok := c.Source.(*schema.AddTable); ok && search[add.T.Name] != nil {
				fmt.Fprintf(&b, "-- quarry:search %s\n", strings.Join(search[add.T.Name], ", "))
			}
			fmt.Fprintf(&b, "%s;\n", strings.TrimSuffix(strings.TrimSpace(c.Cmd), ";"))
		}
	}
	objects, err := s.objects(ctx)
	if err != nil {
		return "", err
	}
	list := make([]object, 0, len(objects))
	for _, o := range objects {
		if !indexObjects[o.Name] {
			list = append(list, o)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		return list[i].order < list[j].order || list[i].order == list[j].order && list[i].key() < list[j].key()
	})
	for _, o := range list {
		fmt.Fprintf(&b, "\n%s;\n", strings.TrimSuffix(strings.TrimSpace(o.Create), ";"))
	}
	unlisted, err := d.UnlistedObjects(ctx, db)
	if err != nil {
		return "", fmt.Errorf("the objects inspectdb leaves out: %w", err)
	}
	if unlisted != "" {
		fmt.Fprintf(&b, "\n-- Not included: %s; on %s, keep them in\n-- hand-written migrations (quarry migrate create).\n", unlisted, d.ProductName())
	}
	return b.String(), nil
}

// searchHints returns the columns of each table's search index, and the
// names of the objects the indexes are made of (the index and its
// triggers, named after it as SearchIndexes names them).
func searchHints(ctx context.Context, db *sql.DB, d dialects.Dialect) (map[string][]string, map[string]bool, error) {
	is, err := introspect.Load(ctx, &framework.Database{DB: db, Dialect: d})
	if err != nil {
		return nil, nil, err
	}
	cols, names := map[string][]string{}, map[string]bool{}
	for _, t := range is.Tables {
		for _, ix := range t.Indexes {
			if ix.Search {
				cols[t.Name] = ix.Columns
				for _, n := range []string{"", "_insert", "_delete", "_update"} {
					names[ix.Name+n] = true
				}
			}
		}
	}
	return cols, names, nil
}
