// Package conformance holds the cross-dialect suites that need nothing of
// the demo app: the dialect and jobs conformance suites, the store's
// queries and transactions, and jobs worked by two processes or a
// crashed one. They live apart from package tests so that both run in
// parallel and neither nears go test's timeout.
package conformance

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// binDir holds the programs the tests build (tests/jobsworker).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quarry-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// migrated applies the framework's migrations to db.
func migrated(t *testing.T, db *dbtest.DB) *dbtest.DB {
	t.Helper()
	m, err := migrate.New(db.Database(), migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatalf("framework migrations on %s: %v", db.Name, err)
	}
	return db
}
