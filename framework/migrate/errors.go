package migrate

import (
	"errors"
	"fmt"
	"path"

	"github.com/pressly/goose/v3"
)

// ErrNoAppMigrations is returned by the verbs that act on the app's set when
// the migrator was built without one.
var ErrNoAppMigrations = errors.New("no app migrations (no migrations directory)")

// ErrNothingToUndo is returned by Down and Redo when no migration of the set
// is applied.
var ErrNothingToUndo = errors.New("no applied migration to undo")

// Explain rewrites goose's error for a failed migration so that it names
// the file and shows the database's message; other errors pass unchanged.
func Explain(err error) error {
	var partial *goose.PartialError
	if !errors.As(err, &partial) || partial.Failed == nil || partial.Failed.Source == nil {
		return err
	}
	return fmt.Errorf("%s (%s) failed: %w", path.Base(partial.Failed.Source.Path), partial.Failed.Direction, partial.Err)
}
