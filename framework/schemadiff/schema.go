package schemadiff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	qmigrate "github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/queries"
)

// Schema returns the schema the DDL in opts.SchemaDir builds, as
// introspect.Load reads a live database: the framework's migrations
// (unless opts.FrameworkSchema) and the DDL, with its search hints,
// applied to a scratch database (SQLite in memory; a temporary database
// on opts.DevURL's server otherwise, dropped afterwards). Only Dialect,
// SchemaDir, DevURL and FrameworkSchema are read.
func Schema(ctx context.Context, opts Options) (_ *introspect.Schema, err error) {
	if opts.Dialect == nil || opts.SchemaDir == "" {
		return nil, errors.New("schemadiff: Dialect and SchemaDir are required")
	}
	ddl, err := readDDL(opts.SchemaDir)
	if err != nil {
		return nil, err
	}
	search, err := readSearch(ddl)
	if err != nil {
		return nil, err
	}
	s, err := newScratch(ctx, opts.Dialect, opts.DevURL)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, s.drop()) }()
	if !opts.FrameworkSchema {
		if err := s.migrateUp(ctx, qmigrate.FrameworkTable, opts.Dialect.Migrations()); err != nil {
			return nil, fmt.Errorf("framework migrations on the scratch database: %w", err)
		}
	}
	if err := s.execDDL(ctx, slices.Concat(ddl, searchDDL(opts.Dialect, search))); err != nil {
		return nil, err
	}
	return introspect.Load(ctx, handle{s.db, opts.Dialect})
}

// handle is a scratch database as a dialects.Handle.
type handle struct {
	db *sql.DB
	d  dialects.Dialect
}

func (h handle) Handle() (queries.DBTX, dialects.Dialect) { return h.db, h.d }
