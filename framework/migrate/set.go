package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/quarry-go/quarry/framework"
)

// UpSet applies every pending migration of one more set of migrations,
// beside the framework's and the app's: a package's own tables, versioned
// in a table of their own so that the other sets never see them (the
// tenant registry of package tenancy, in quarry_tenancy_migrations). set
// names the set in the results, the log and errors; fsys holds its
// migrations at its root. Like [New], it needs db's URL, and its runs are
// serialised with the other sets' by the same locker.
func UpSet(ctx context.Context, db *framework.Database, set Set, table string, fsys fs.FS, logger *slog.Logger) ([]Result, error) {
	if db == nil || db.URL == nil {
		return nil, errors.New("migrate: the database has no URL: open it with framework.OpenDatabase (or the App), or set Database.URL")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Migrator{url: db.URL, log: logger}
	p, err := newProvider(db.DB, db.URL, table, fsys, &m.statements)
	if err != nil {
		return nil, fmt.Errorf("%s migrations: %w", set, err)
	}
	res, err := p.Up(ctx)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		res = partial.Applied
	}
	return m.results(set, res...), m.wrap(set, err)
}
