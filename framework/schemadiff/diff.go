package schemadiff

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/schema"
	gooselib "github.com/pressly/goose/v3"

	"github.com/quarry-go/quarry/dialects"
	qmigrate "github.com/quarry-go/quarry/framework/migrate"
)

// Options configures [Diff].
type Options struct {
	// Dialect of the schema. Required.
	Dialect dialects.Dialect
	// SchemaDir holds the DDL (*.sql), the desired state. Required.
	SchemaDir string
	// Migrations holds the existing goose migrations, the current state.
	// Nil means none.
	Migrations fs.FS
	// DevURL names the server for scratch databases (PostgreSQL, MySQL).
	DevURL string
	// FrameworkSchema says the DDL is the framework's own: its migrations
	// are versioned in quarry_migrations and nothing is applied first.
	// Otherwise (an app) the framework's migrations are applied to both
	// scratch databases first and its tables (quarry_*) are left out of
	// the diff, so an app's tables may reference them.
	FrameworkSchema bool
	// AllowDestructive lets drops and narrowing type changes through.
	AllowDestructive bool
	// Name describes the migration in its header. Default: "changes".
	Name string
	// ConcurrentIndexes (PostgreSQL) creates and drops indexes on existing
	// tables CONCURRENTLY, which cannot run in a transaction: the file is
	// then marked NO TRANSACTION and is not atomic.
	ConcurrentIndexes bool
}

// Result is a verified migration, or none when the DDL and the migrations
// agree.
type Result struct {
	// Up and Down are the statements, in order.
	Up, Down []string
	// Summary has one line per change, for the file header and the CLI.
	Summary []string
	// Destructive names each change that drops or narrows something.
	Destructive []string
	// File is the goose migration file's content.
	File string
}

// Empty reports whether there is nothing to migrate.
func (r *Result) Empty() bool { return len(r.Up) == 0 }

// Diff builds both states in scratch databases, diffs them, plans the up
// and down migrations, verifies them, and returns the file to write. It
// writes nothing; the scratch databases are dropped before it returns.
func Diff(ctx context.Context, opts Options) (_ *Result, err error) {
	if opts.Dialect == nil || opts.SchemaDir == "" {
		return nil, errors.New("schemadiff: Dialect and SchemaDir are required")
	}
	if opts.ConcurrentIndexes && !opts.Dialect.Capabilities().ConcurrentIndexes {
		return nil, fmt.Errorf("%w: %s cannot build indexes concurrently (PostgreSQL can): leave out --concurrent-indexes", ErrUnsupported, opts.Dialect.Name())
	}
	table := gooselib.DefaultTablename
	var skipPrefixes []string
	if opts.FrameworkSchema {
		table = qmigrate.FrameworkTable
	} else {
		skipPrefixes = []string{"quarry_"}
	}
	skip := []string{qmigrate.FrameworkTable, qmigrate.AppTable, "quarry_migrate_lock", "goose_lock"}

	ddl, err := readDDL(opts.SchemaDir)
	if err != nil {
		return nil, err
	}
	if bad := unsupportedObjects(opts.Dialect, ddl); len(bad) > 0 {
		return nil, fmt.Errorf("%w: on %s, makemigrations cannot carry these through yet, and will not drop them silently: %s; write their migrations by hand (quarry migrate create) and keep them out of %s",
			ErrUnsupported, opts.Dialect.Name(), strings.Join(bad, ", "), opts.SchemaDir)
	}
	scoped, err := readTenantScoped(ddl)
	if err != nil {
		return nil, err
	}
	search, err := readSearch(ddl)
	if err != nil {
		return nil, err
	}
	if err := checkTenantScoped(opts.Dialect, scoped, nil); err != nil {
		return nil, err
	}
	current, err := newScratch(ctx, opts.Dialect, opts.DevURL)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, current.drop()) }()
	desired, err := newScratch(ctx, opts.Dialect, opts.DevURL)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, desired.drop()) }()

	if !opts.FrameworkSchema {
		for _, s := range []*scratch{current, desired} {
			if err := s.migrateUp(ctx, qmigrate.FrameworkTable, opts.Dialect.Migrations()); err != nil {
				return nil, fmt.Errorf("framework migrations on the scratch database: %w", err)
			}
		}
	}
	if opts.Migrations != nil {
		if err := current.migrateUp(ctx, table, opts.Migrations); err != nil && !errors.Is(err, gooselib.ErrNoMigrations) {
			return nil, fmt.Errorf("%w: %w", ErrMigrations, err)
		}
	}
	if err := desired.execDDL(ctx, slices.Concat(ddl, searchDDL(opts.Dialect, search))); err != nil {
		return nil, err
	}
	fromObjects, err := current.objects(ctx)
	if err != nil {
		return nil, err
	}
	toObjects, err := desired.objects(ctx)
	if err != nil {
		return nil, err
	}
	objUp, objDown := objectChanges{}, objectChanges{}

	hints := readRenames(ddl)
	// Each side is inspected twice: one copy stays as it is (the reference
	// for verification), the other has the hinted renames applied.
	inspectBoth := func(s *scratch) (plain, renamed *schema.Schema, err error) {
		if plain, err = s.inspect(ctx, skip, skipPrefixes); err == nil {
			renamed, err = s.inspect(ctx, skip, skipPrefixes)
		}
		return plain, renamed, err
	}
	from, fromRenamed, err := inspectBoth(current)
	if err != nil {
		return nil, err
	}
	to, toRenamed, err := inspectBoth(desired)
	if err != nil {
		return nil, err
	}
	if err := checkTenantScoped(opts.Dialect, scoped, to); err != nil {
		return nil, err
	}
	if err := checkSearch(opts.Dialect, search, to); err != nil {
		return nil, err
	}
	var fromRLS map[string]string // nil: no row-level security on this dialect
	var rls rlsChanges
	if opts.Dialect.Capabilities().RowSecurity {
		if fromRLS, err = current.rlsState(ctx); err != nil {
			return nil, err
		}
		maps.DeleteFunc(fromRLS, func(t, _ string) bool {
			return slices.Contains(skip, t) || slices.ContainsFunc(skipPrefixes, func(p string) bool { return strings.HasPrefix(t, p) })
		})
		if rls, err = diffRLS(fromRLS, scoped, hints.tables, from, to); err != nil {
			return nil, err
		}
	} else {
		scoped = nil
	}
	upChanges, err := diffWithRenames(ctx, current, hints, fromRenamed, to)
	if err != nil {
		return nil, err
	}
	objUp = diffObjects(fromObjects, toObjects, dependsOnTables(opts.Dialect, upChanges))
	objUp.rlsFirst, objUp.rlsLast = rls.up.rlsFirst, rls.up.rlsLast
	res := &Result{}
	if len(upChanges) == 0 && objUp.empty() {
		return res, nil
	}
	for _, c := range upChanges {
		if name, removed, ok := enumNarrowing(c); ok {
			return nil, fmt.Errorf("%w: the DDL removes %q from enum type %s, and PostgreSQL cannot drop enum values: "+
				"create a new type, move the columns to it and drop the old one in a migration written by hand (quarry migrate create)", ErrUnsupported, removed, name)
		}
	}
	res.Summary = append(append(summarize(upChanges), objUp.summary...), rls.summary...)
	res.Destructive = destructive(upChanges)
	if len(res.Destructive) > 0 && !opts.AllowDestructive {
		return res, fmt.Errorf("%w (pass --allow-destructive if you mean it):\n  - %s", ErrDestructive, strings.Join(res.Destructive, "\n  - "))
	}
	if problems := unsafe(upChanges); len(problems) > 0 {
		return res, fmt.Errorf("%w:\n  - %s", ErrUnsafe, strings.Join(problems, "\n  - "))
	}
	downChanges, err := diffWithRenames(ctx, desired, hints.reverse(), toRenamed, from)
	if err != nil {
		return nil, err
	}
	downChanges, downNotes := withoutEnumNarrowing(downChanges)
	objDown = diffObjects(toObjects, fromObjects, dependsOnTables(opts.Dialect, downChanges))
	objDown.rlsFirst, objDown.rlsLast = rls.down.rlsFirst, rls.down.rlsLast
	backfill, problems := backfills(opts.Dialect, upChanges)
	if len(problems) > 0 {
		return res, fmt.Errorf("%w:\n  - %s", ErrUnsafe, strings.Join(problems, "\n  - "))
	}
	objUp.backfill = backfill
	up, err := plan(ctx, current, upChanges)
	if err != nil {
		return nil, err
	}
	down, err := plan(ctx, current, downChanges)
	if err != nil {
		return nil, err
	}
	objDown.notes = downNotes
	if opts.ConcurrentIndexes {
		concurrently(up, down, newTables(upChanges))
	}
	res.File = render(opts, res.Summary, up, down, objUp, objDown)
	res.Up = append(append(objUp.before(), statements(up)...), objUp.after()...)
	res.Down = append(append(objDown.before(), statements(down)...), objDown.after()...)
	if err := current.ensureRoles(ctx, rls.roles); err != nil {
		return res, err
	}
	states := [2]state{{from, fromObjects, fromRLS}, {to, toObjects, scoped}}
	if err := verify(ctx, current, table, opts.Migrations, res.File, states, skip, skipPrefixes); err != nil {
		return res, err
	}
	return res, nil
}

// dependsOnTables returns which unchanged objects a set of table changes
// forces to be dropped and created again: when any table changes, every
// object of a kind the dialect recreates around table changes
// (dialects.SchemaTools.RecreateAroundTableChanges: PostgreSQL's views,
// SQLite's views and triggers).
func dependsOnTables(d dialects.Dialect, changes []schema.Change) func(object) bool {
	if len(changes) == 0 {
		return nil
	}
	return func(o object) bool { return d.RecreateAroundTableChanges(o.Kind) }
}

// backfills returns, for each column that becomes NOT NULL with a default,
// the UPDATE that gives its NULLs that default first, and refuses a column
// that becomes NOT NULL without one. Where a column change rebuilds the
// table (SQLite), Atlas's rebuild copies the rows with IFNULL(column,
// default) and needs no UPDATE.
func backfills(d dialects.Dialect, changes []schema.Change) (stmts, problems []string) {
	for _, c := range changes {
		mt, ok := c.(*schema.ModifyTable)
		if !ok {
			continue
		}
		for _, tc := range mt.Changes {
			mc, ok := tc.(*schema.ModifyColumn)
			if !ok || !mc.Change.Is(schema.ChangeNull) || mc.To.Type.Null {
				continue
			}
			var def string
			switch x := mc.To.Default.(type) {
			case *schema.Literal:
				def = x.V
			case *schema.RawExpr:
				def = x.X
			}
			if def == "" {
				problems = append(problems, fmt.Sprintf("column %s.%s becomes NOT NULL without a default, so a row holding NULL would make the migration fail. "+
					"Give it a DEFAULT (its NULLs are then filled with it), or fill them in an earlier migration", mt.T.Name, mc.To.Name))
				continue
			}
			if d.ColumnChangesRebuildTable() {
				continue
			}
			col := d.QuoteIdent(mc.To.Name)
			stmts = append(stmts, fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL", d.QuoteIdent(mt.T.Name), col, def, col))
		}
	}
	return stmts, problems
}

// state is a schema with its views, functions and triggers.
type state struct {
	schema  *schema.Schema
	objects map[string]object
	// rls maps the tenant-scoped tables to their role; nil where the
	// dialect has no row-level security.
	rls map[string]string
}

// diffWithRenames applies the hinted renames to from (a copy it may change)
// and returns the renames followed by the rest of the diff to to. fromDB is
// the scratch database holding from.
func diffWithRenames(ctx context.Context, fromDB *scratch, hints *renames, from, to *schema.Schema) ([]schema.Change, error) {
	renames := hints.apply(from, to)
	rest, err := diff(fromDB, from, to)
	if err != nil {
		return nil, err
	}
	if err := dropImplicitFKIndexes(ctx, fromDB, rest, to); err != nil {
		return nil, err
	}
	return append(renames, rest...), nil
}

// dropImplicitFKIndexes adds the drop of the index the database created
// for a foreign key (MySQL, named after it; see
// dialects.SchemaTools.ImplicitForeignKeyIndex) when the foreign key is
// dropped and the index is not wanted. Atlas hides such an index while the
// key exists and leaves it behind, so the schema would not match.
func dropImplicitFKIndexes(ctx context.Context, fromDB *scratch, changes []schema.Change, to *schema.Schema) error {
	d := fromDB.url.Dialect
	for _, c := range changes {
		mt, ok := c.(*schema.ModifyTable)
		if !ok {
			continue
		}
		tt, _ := to.Table(mt.T.Name)
		for _, tc := range mt.Changes {
			fk, ok := tc.(*schema.DropForeignKey)
			if !ok || dropsIndex(mt.Changes, fk.F.Symbol) {
				continue
			}
			if tt != nil {
				if _, wanted := tt.Index(fk.F.Symbol); wanted {
					continue
				}
			}
			has, err := d.ImplicitForeignKeyIndex(ctx, fromDB.db, mt.T.Name, fk.F.Symbol)
			if err != nil {
				return fmt.Errorf("look up the index of foreign key %s: %w", fk.F.Symbol, err)
			}
			if has {
				// With its parts: Atlas's MySQL planner skips a part-less drop.
				idx := &schema.Index{Name: fk.F.Symbol, Table: mt.T}
				for _, col := range fk.F.Columns {
					idx.Parts = append(idx.Parts, &schema.IndexPart{C: col})
				}
				mt.Changes = append(mt.Changes, &schema.DropIndex{I: idx})
			}
		}
	}
	return nil
}

func dropsIndex(changes []schema.Change, name string) bool {
	for _, c := range changes {
		if d, ok := c.(*schema.DropIndex); ok && d.I.Name == name {
			return true
		}
	}
	return false
}

// diff returns the changes that take from to to, on s's driver.
func diff(s *scratch, from, to *schema.Schema) ([]schema.Change, error) {
	to.Name = from.Name // MySQL: the scratch databases have different names
	AlignAutoIndexNames(from, to)
	changes, err := s.atlas.SchemaDiff(from, to)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	return changes, nil
}

func plan(ctx context.Context, s *scratch, changes []schema.Change) (*migrate.Plan, error) {
	if len(changes) == 0 {
		return &migrate.Plan{Transactional: true}, nil
	}
	unqualified := ""
	p, err := s.atlas.PlanChanges(ctx, "quarry", changes, func(o *migrate.PlanOptions) { o.SchemaQualifier = &unqualified })
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}

func statements(p *migrate.Plan) []string {
	out := make([]string, 0, len(p.Changes))
	for _, c := range p.Changes {
		out = append(out, c.Cmd)
	}
	return out
}

// AlignAutoIndexNames names SQLite's automatic indexes for UNIQUE
// constraints (sqlite_autoindex_<table>_<n>) consistently on both sides of
// a diff: after the unique index on the same columns on the other side when
// there is one (a UNIQUE constraint and a unique index are the same thing
// in SQLite), else after their columns. Atlas's SQLite differ would report
// a drop and an add of the same index.
func AlignAutoIndexNames(a, b *schema.Schema) {
	for _, pair := range [][2]*schema.Schema{{a, b}, {b, a}} {
		for _, t := range pair[0].Tables {
			other, _ := pair[1].Table(t.Name)
			for _, ix := range t.Indexes {
				if !strings.HasPrefix(ix.Name, "sqlite_autoindex_") {
					continue
				}
				ix.Name = "auto_" + t.Name + "_" + strings.Join(indexColumns(ix), "_")
				if other == nil {
					continue
				}
				for _, o := range other.Indexes {
					if o.Unique && !strings.HasPrefix(o.Name, "sqlite_autoindex_") && slices.Equal(indexColumns(o), indexColumns(ix)) {
						ix.Name = o.Name
					}
				}
			}
		}
	}
}

func indexColumns(ix *schema.Index) []string {
	var cols []string
	for _, p := range ix.Parts {
		if p.C != nil {
			cols = append(cols, p.C.Name)
		}
	}
	return cols
}
