package schemadiff

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/introspect"
	qmigrate "github.com/quarry-go/quarry/framework/migrate"
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
	return introspect.Load(ctx, &framework.Database{DB: s.db, Dialect: opts.Dialect})
}
