package schemadiff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/schema"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/atlasdriver"
	qmigrate "github.com/quarry-go/quarry/framework/migrate"
)

// scratch is a throwaway database: in memory for SQLite, a temporary
// database on the development server otherwise.
type scratch struct {
	url   *dialects.URL
	db    *sql.DB
	atlas migrate.Driver
	drop  func() error
}

// newScratch creates an empty scratch database of dialect d (see
// dialects.SchemaTools.CreateScratch). devURL names the server when d's
// databases live on one (any database on it); otherwise it is unused.
func newScratch(ctx context.Context, d dialects.Dialect, devURL string) (*scratch, error) {
	if !d.Capabilities().ServerDatabases {
		u, err := d.CreateScratch(ctx, nil, nil, "")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrScratch, err)
		}
		db, err := dialects.OpenURL(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrScratch, err)
		}
		return newScratchOn(db, u, db.Close)
	}
	if devURL == "" {
		return nil, fmt.Errorf("%w: %s needs a development server for its scratch databases: pass --dev-url (or set DATABASE_URL)", ErrScratch, d.Name())
	}
	admin, server, err := dialects.Open(ctx, devURL)
	if err != nil {
		return nil, fmt.Errorf("%w: dev server: %w", ErrScratch, err)
	}
	if server.Dialect.Name() != d.Name() {
		admin.Close()
		return nil, fmt.Errorf("%w: the dev URL is %s, the schema is %s", ErrScratch, server.Dialect.Name(), d.Name())
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "quarry_scratch_" + hex.EncodeToString(b[:])
	drop := func() error {
		// Dropped even when ctx was cancelled (Ctrl-C) or failed.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := d.DropScratch(dctx, admin, name)
		if err != nil {
			err = fmt.Errorf("drop scratch database %s on the dev server (drop it by hand): %w", name, err)
		}
		return errors.Join(err, admin.Close())
	}
	u, err := d.CreateScratch(ctx, admin, server, name)
	if err != nil {
		// An interrupted CREATE may still have created it.
		return nil, errors.Join(fmt.Errorf("%w: create %s on the dev server: %w", ErrScratch, name, err), drop())
	}
	db, err := dialects.OpenURL(ctx, u)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: %w", ErrScratch, err), drop())
	}
	return newScratchOn(db, u, func() error { return errors.Join(db.Close(), drop()) })
}

func newScratchOn(db *sql.DB, u *dialects.URL, drop func() error) (*scratch, error) {
	drv, err := atlasdriver.Open(u.Dialect, db)
	if err != nil {
		return nil, errors.Join(err, drop())
	}
	return &scratch{url: u, db: db, atlas: drv, drop: drop}, nil
}

// goose returns a provider for the migrations in fsys, versioned in table,
// and the log whose Explain names a failed migration and statement.
func (s *scratch) goose(table string, fsys fs.FS) (*goose.Provider, *qmigrate.StatementLog, error) {
	store, err := database.NewStore(s.url.Dialect.GooseDialect(), table)
	if err != nil {
		return nil, nil, err
	}
	log := &qmigrate.StatementLog{}
	opts := append([]goose.ProviderOption{goose.WithStore(store), goose.WithDisableGlobalRegistry(true)}, log.Options()...)
	p, err := goose.NewProvider("", s.db, fsys, opts...)
	return p, log, err
}

// migrateUp applies the migrations in fsys, versioned in table.
func (s *scratch) migrateUp(ctx context.Context, table string, fsys fs.FS) error {
	p, log, err := s.goose(table, fsys)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return log.Explain(err)
}

// located is a DDL statement and the file it comes from.
type located struct {
	statement
	file string
}

// readDDL splits every .sql file of dir into statements, files in name order.
func readDDL(dir string) ([]located, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no .sql files in %s", ErrDDL, dir)
	}
	sort.Strings(files)
	var out []located
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, st := range splitStatements(string(src)) {
			out = append(out, located{st, f})
		}
	}
	return out, nil
}

// execDDL runs the statements. Files may refer to each other's tables in
// any order: statements that fail are retried after the others until a
// round makes no progress; then the first failure is reported with its
// file, line and the database's message.
func (s *scratch) execDDL(ctx context.Context, pending []located) error {
	for len(pending) > 0 {
		var failed []located
		var firstErr error
		for _, st := range pending {
			if _, err := s.db.ExecContext(ctx, st.SQL); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if firstErr == nil {
					firstErr = err
				}
				failed = append(failed, st)
			}
		}
		if len(failed) == len(pending) {
			st := failed[0]
			return fmt.Errorf("%w: %s:%d: %v\n%s", ErrDDL, st.file, st.Line, firstErr, indent(st.SQL))
		}
		pending = failed
	}
	return nil
}

// inspect reads the schema, leaving out the tables in skip and the
// tables whose name starts with one of skipPrefixes.
func (s *scratch) inspect(ctx context.Context, skip []string, skipPrefixes []string) (*schema.Schema, error) {
	sch, err := s.atlas.InspectSchema(ctx, "", nil)
	if err != nil {
		return nil, fmt.Errorf("inspect %s scratch database: %w", s.url.Dialect.Name(), err)
	}
	// Virtual tables (SQLite's search indexes) are carried as objects:
	// neither they nor their shadow tables are Atlas's to diff.
	objs, err := s.objects(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.Kind == "virtual table" {
			skip = append(skip, o.Name)
			for _, shadow := range []string{"data", "idx", "docsize", "config", "content"} {
				skip = append(skip, o.Name+"_"+shadow)
			}
		}
	}
	kept := sch.Tables[:0]
	for _, t := range sch.Tables {
		if contains(skip, t.Name) || hasAnyPrefix(t.Name, skipPrefixes) || t.Name == "sqlite_sequence" {
			continue
		}
		kept = append(kept, t)
	}
	sch.Tables = kept
	return sch, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}
