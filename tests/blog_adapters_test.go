package tests

// The blog's query adapters, linked into the tests as the blog's main
// links them into the demo: each registers itself from its init with
// blogdb.Queries, through which the blog's handlers, its admin action and
// these tests run their queries.
import (
	_ "github.com/quarry-go/quarry/examples/blog/db/mysql"
	_ "github.com/quarry-go/quarry/examples/blog/db/postgres"
	_ "github.com/quarry-go/quarry/examples/blog/db/sqlite"
)
