// Package dialecttest is the conformance suite every dialect must pass:
// run it once per dialect (tests/conformance/dialect_test.go runs it on SQLite,
// PostgreSQL and MySQL/MariaDB) with a function that opens a fresh
// database of that dialect with the framework's migrations applied.
//
// It checks, through the one database handle ([framework.Database]) and
// the generated adapters alone, what the rest of the framework relies on:
// the dialect's URL forms and their redaction, every sentinel error of
// package queries provoked on the real database, every generated query of
// [queries.Querier] (a query without a case here fails the suite),
// transactions with their retry of lost conflicts, introspection of the
// dialect's own DDL, and identifiers quoted with QuoteIdent whatever
// their characters. Code in this package never asks which dialect it
// runs on: it asks a capability, a dialect method, or the database itself.
package dialecttest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

// Open returns a fresh, empty database of the dialect under test with the
// framework's migrations applied (framework/migrate), closed when t ends.
// The suite does not migrate itself: a [framework.Database] carries no URL,
// which the migrator needs (for its lock), and a caller that has the URL
// migrates in one line.
type Open = func(t *testing.T) *framework.Database

// Run runs every conformance test on the dialect open returns, one after
// another, each on a database of its own.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"URL", testURL},
		{"Errors", testErrors},
		{"Queries", testQueries},
		{"Transactions", testTransactions},
		{"Introspection", testIntrospection},
		{"HostileIdentifiers", testHostileIdentifiers},
		{"SchemaTools", testSchemaTools},
		{"Databases", testDatabases},
		{"Fragments", testFragments},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// env is one test's database and its typed queries.
type env struct {
	t   *testing.T
	ctx context.Context
	db  *framework.Database
	q   queries.Querier
}

// newEnv opens a database and checks that it is migrated.
func newEnv(t *testing.T, open Open) *env {
	t.Helper()
	db := open(t)
	if db == nil || db.DB == nil || db.Dialect == nil {
		t.Fatalf("dialecttest: open returned an incomplete handle: %+v", db)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	tables, err := db.Dialect.TableNames(ctx, db.DB)
	if err != nil {
		t.Fatalf("dialecttest: list tables: %v", err)
	}
	for _, want := range []string{"quarry_users", "quarry_jobs", "quarry_sessions"} {
		if !slices.Contains(tables, want) {
			t.Fatalf("dialecttest: open returned a database without %s (tables %v): apply the framework's migrations (framework/migrate) in open", want, tables)
		}
	}
	return &env{t: t, ctx: ctx, db: db, q: db.Queries()}
}

// sentinels are the errors of package queries a database failure can match.
var sentinels = []error{queries.ErrNotFound, queries.ErrUniqueViolation, queries.ErrForeignKeyViolation,
	queries.ErrNotNullViolation, queries.ErrCheckViolation, queries.ErrConflict, queries.ErrTooLong}

// wantSentinel fails unless err matches sentinel with errors.Is, matches
// none of the other sentinels, and still carries the driver's own error
// (something in its chain that is not a sentinel of package queries).
func wantSentinel(t *testing.T, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: %v (%T); want errors.Is %v", what, err, err, sentinel)
		return
	}
	for _, other := range sentinels {
		if other != sentinel && errors.Is(err, other) {
			t.Errorf("%s: %v also matches %v", what, err, other)
		}
	}
	if !carriesCause(err) {
		t.Errorf("%s: %v (%T) is the bare sentinel: the driver's error is lost", what, err, err)
	}
}

// carriesCause reports whether err's chain holds an error that is not one
// of the store sentinels and does not merely wrap others (the driver's).
func carriesCause(err error) bool {
	if err == nil {
		return false
	}
	if slices.Contains(sentinels, err) {
		return false
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if u.Unwrap() == nil {
			return true
		}
		return carriesCause(u.Unwrap())
	case interface{ Unwrap() []error }:
		return slices.ContainsFunc(u.Unwrap(), carriesCause)
	}
	return true
}

// must fails the test when err is not nil.
func (e *env) must(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// rows fails the test unless a query changed n rows.
func (e *env) rows(what string, got int64, err error, want int64) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	if got != want {
		e.t.Errorf("%s: %d rows, want %d", what, got, want)
	}
}

// now is the current time in UTC, whole seconds, which every dialect
// stores and reads back unchanged.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// sameTime reports whether two times are the same instant.
func sameTime(a, b time.Time) bool { return a.Equal(b) }
