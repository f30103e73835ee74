package migrate

import (
	"path"

	"github.com/pressly/goose/v3/database"

	"github.com/quarry-go/quarry/dialects"
)

func gooseStore(d dialects.Dialect, table string) (database.Store, error) {
	return database.NewStore(d.GooseDialect(), table)
}

func baseName(p string) string { return path.Base(p) }
