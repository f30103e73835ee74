//go:build !unix

package sqlite

import (
	"context"
	"os"
)

// flock is a no-op where advisory file locks are not available: concurrent
// migration runs on one SQLite file are then not serialised.
func flock(context.Context, *os.File) error { return nil }
