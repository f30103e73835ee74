// Package migrations embeds the blog's goose migrations, one directory per
// dialect, so the binary can migrate itself at start-up. From the blog's
// directory, `quarry migrate up --dir migrations/sqlite` applies the same files.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/quarry-go/quarry/dialects"
)

//go:embed postgres/*.sql mysql/*.sql sqlite/*.sql
var files embed.FS

// For returns the migrations of one dialect.
func For(name dialects.Name) (fs.FS, error) {
	sub, err := fs.Sub(files, string(name))
	if err != nil {
		return nil, fmt.Errorf("no blog migrations for %s: %w", name, err)
	}
	return sub, nil
}
