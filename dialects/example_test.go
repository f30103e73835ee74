package dialects_test

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/dialects"
)

func ExampleParseURL() {
	u, err := dialects.ParseURL("mysql://app:secret@db.internal/shop")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Dialect.Name(), u.Database, u.String())
	fmt.Println(u.Dialect.QuoteIdent("order"), u.Dialect.Placeholder(2))

	_, err = dialects.ParseURL("mysql://app:secret@db.internal/")
	fmt.Println(err)
	// Output:
	// mysql shop mysql://app:xxxxx@db.internal/shop
	// `order` ?
	// invalid database URL: "mysql://app:xxxxx@db.internal/": want exactly one database name in the path, as in mysql://user:pass@host:3306/db
}

func ExampleOpen() {
	ctx := context.Background()
	db, u, err := dialects.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		panic(err)
	}
	fmt.Println(u.Dialect.Name(), one, u.Dialect.Capabilities().Returning)
	// Output: sqlite 1 true
}
