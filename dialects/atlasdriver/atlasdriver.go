// Package atlasdriver opens the Atlas (ariga.io/atlas) migrate driver of a
// dialect, to inspect and diff schemas. It is the dialect layer's link to
// Atlas, kept out of package dialects so that apps, which never diff
// schemas at run time, do not link Atlas and its HCL dependencies; the
// schema differ and the tests import it.
package atlasdriver

import (
	"database/sql"
	"fmt"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/mysql"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"

	"github.com/quarry-go/quarry/dialects"
)

// Open returns the Atlas driver for d over db.
func Open(d dialects.Dialect, db *sql.DB) (migrate.Driver, error) {
	switch d.Name() {
	case dialects.Postgres:
		return postgres.Open(db)
	case dialects.MySQL:
		return mysql.Open(db)
	case dialects.SQLite:
		return sqlite.Open(db)
	}
	return nil, fmt.Errorf("atlasdriver: %w %q", dialects.ErrUnknownDialect, d.Name())
}
