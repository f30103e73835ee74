package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
)

// Table names of the two version tables.
const (
	FrameworkTable = "quarry_migrations"
	AppTable       = goose.DefaultTablename
)

// Set names a set of migrations.
type Set string

// The two sets.
const (
	Framework Set = "framework"
	App       Set = "app"
)

// Options configures a [Migrator].
type Options struct {
	// AppFS holds the app's migrations at its root (e.g. os.DirFS("migrations")).
	// Nil means the app has none; Up then applies only the framework's.
	AppFS fs.FS
	// Logger receives one line per applied migration. Default: discard.
	Logger *slog.Logger
}

// Migrator applies the framework's and the app's migrations to one database.
type Migrator struct {
	url        *dialects.URL
	framework  *goose.Provider
	app        *goose.Provider // nil when the app has no migrations
	log        *slog.Logger
	statements StatementLog // the statement goose ran last, for errors
}

// New builds a migrator for db. It needs the URL db was opened from (its
// locker does, to serialise concurrent runs), so db must come from
// framework.OpenDatabase or the App, or have its URL set by hand.
func New(db *framework.Database, opts Options) (*Migrator, error) {
	if db == nil || db.URL == nil {
		return nil, errors.New("migrate: the database has no URL: open it with framework.OpenDatabase (or the App), or set Database.URL")
	}
	u := db.URL
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Migrator{url: u, log: log}
	var err error
	m.framework, err = newProvider(db.DB, u, FrameworkTable, u.Dialect.Migrations(), &m.statements)
	if err != nil {
		return nil, fmt.Errorf("framework migrations: %w", err)
	}
	if opts.AppFS != nil {
		m.app, err = newProvider(db.DB, u, AppTable, opts.AppFS, &m.statements)
		if errors.Is(err, goose.ErrNoMigrations) {
			m.app, err = nil, nil // an empty directory: nothing to apply yet
		}
		if err != nil {
			return nil, fmt.Errorf("app migrations: %w", err)
		}
	}
	return m, nil
}

func newProvider(db *sql.DB, u *dialects.URL, table string, fsys fs.FS, log *StatementLog) (*goose.Provider, error) {
	locker, err := u.Dialect.MigrationLocker(u)
	if err != nil {
		return nil, err
	}
	store, err := gooseStore(u.Dialect, table)
	if err != nil {
		return nil, err
	}
	opts := append([]goose.ProviderOption{
		goose.WithStore(store),
		goose.WithLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	}, log.Options()...)
	return goose.NewProvider("", db, fsys, opts...)
}

// Result is the outcome of one migration applied or undone.
type Result struct {
	Set       Set
	Version   int64
	Name      string // file name
	Direction string // "up" or "down"
	Empty     bool   // no statements ran
}

func (r Result) String() string {
	return fmt.Sprintf("%-9s %-4s %s", r.Set, r.Direction, r.Name)
}

// Up applies every pending migration: the framework's first, then the app's.
func (m *Migrator) Up(ctx context.Context) ([]Result, error) {
	var all []Result
	for _, s := range m.sets() {
		res, err := m.provider(s).Up(ctx)
		var partial *goose.PartialError
		if errors.As(err, &partial) {
			res = partial.Applied
		}
		all = append(all, m.results(s, res...)...)
		if err != nil {
			return all, m.wrap(s, err)
		}
	}
	return all, nil
}

// UpTo applies the set's pending migrations up to and including version.
func (m *Migrator) UpTo(ctx context.Context, set Set, version int64) ([]Result, error) {
	p, err := m.need(set)
	if err != nil {
		return nil, err
	}
	res, err := p.UpTo(ctx, version)
	return m.results(set, res...), m.wrap(set, err)
}

// Down undoes the set's latest applied migration.
func (m *Migrator) Down(ctx context.Context, set Set) ([]Result, error) {
	p, err := m.need(set)
	if err != nil {
		return nil, err
	}
	res, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return nil, fmt.Errorf("%s migrations: %w", set, ErrNothingToUndo)
	}
	if res == nil {
		return nil, m.wrap(set, err)
	}
	return m.results(set, res), m.wrap(set, err)
}

// DownTo undoes the set's applied migrations newer than version (0 undoes all).
func (m *Migrator) DownTo(ctx context.Context, set Set, version int64) ([]Result, error) {
	p, err := m.need(set)
	if err != nil {
		return nil, err
	}
	res, err := p.DownTo(ctx, version)
	return m.results(set, res...), m.wrap(set, err)
}

// Redo undoes the set's latest applied migration and applies it again.
func (m *Migrator) Redo(ctx context.Context, set Set) ([]Result, error) {
	down, err := m.Down(ctx, set)
	if err != nil {
		return down, err
	}
	p, _ := m.need(set)
	up, err := p.UpByOne(ctx)
	if up == nil {
		return down, m.wrap(set, err)
	}
	return append(down, m.results(set, up)...), m.wrap(set, err)
}

// Status is the state of one migration.
type Status struct {
	Set       Set
	Version   int64
	Name      string
	Applied   bool
	AppliedAt string // RFC 3339, empty when pending
}

// Status lists every migration of both sets with its state.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	var out []Status
	for _, s := range m.sets() {
		sts, err := m.provider(s).Status(ctx)
		if err != nil {
			return out, fmt.Errorf("%s migrations: %w", s, err)
		}
		for _, st := range sts {
			row := Status{Set: s, Version: st.Source.Version, Name: baseName(st.Source.Path),
				Applied: st.State == goose.StateApplied}
			if row.Applied {
				row.AppliedAt = st.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// HasPending reports whether either set has migrations not yet applied.
func (m *Migrator) HasPending(ctx context.Context) (bool, error) {
	for _, s := range m.sets() {
		pending, err := m.provider(s).HasPending(ctx)
		if err != nil || pending {
			return pending, m.wrap(s, err)
		}
	}
	return false, nil
}

func (m *Migrator) sets() []Set {
	if m.app == nil {
		return []Set{Framework}
	}
	return []Set{Framework, App}
}

func (m *Migrator) provider(s Set) *goose.Provider {
	if s == Framework {
		return m.framework
	}
	return m.app
}

func (m *Migrator) need(s Set) (*goose.Provider, error) {
	switch s {
	case Framework:
		return m.framework, nil
	case App:
		if m.app == nil {
			return nil, ErrNoAppMigrations
		}
		return m.app, nil
	}
	return nil, fmt.Errorf("unknown migration set %q (want framework or app)", s)
}

func (m *Migrator) results(s Set, res ...*goose.MigrationResult) []Result {
	out := make([]Result, 0, len(res))
	for _, r := range res {
		if r == nil || r.Source == nil {
			continue
		}
		out = append(out, Result{Set: s, Version: r.Source.Version, Name: baseName(r.Source.Path),
			Direction: r.Direction, Empty: r.Empty})
		m.log.Info("migration", "set", s, "direction", r.Direction, "file", baseName(r.Source.Path),
			"duration", r.Duration, "dialect", m.url.Dialect.Name())
	}
	return out
}

func (m *Migrator) wrap(s Set, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s migrations: %w", s, m.statements.Explain(err))
}
