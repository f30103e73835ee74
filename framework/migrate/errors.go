package migrate

import "errors"

// ErrNoAppMigrations is returned by the verbs that act on the app's set when
// the migrator was built without one.
var ErrNoAppMigrations = errors.New("no app migrations (no migrations directory)")

// ErrNothingToUndo is returned by Down and Redo when no migration of the set
// is applied.
var ErrNothingToUndo = errors.New("no applied migration to undo")
