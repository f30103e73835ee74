// Package all links every dialect Quarry ships into a program: import it
// for its side effect, once, where the program opens its database (the
// framework does). It is the registry's one list: a new dialect is one
// folder under dialects/ and one line here.
package all

import (
	_ "github.com/quarry-go/quarry/dialects/mysql"    // MySQL and MariaDB
	_ "github.com/quarry-go/quarry/dialects/postgres" // PostgreSQL
	_ "github.com/quarry-go/quarry/dialects/sqlite"   // SQLite
)
