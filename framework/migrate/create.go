package migrate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var (
	versionPrefix = regexp.MustCompile(`^(\d+)_.*\.(sql|go)$`)
	badNameChars  = regexp.MustCompile(`[^a-z0-9]+`)
)

const sqlTemplate = `-- +goose Up
-- +goose StatementBegin
SELECT 'up SQL query';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
SELECT 'down SQL query';
-- +goose StatementEnd
`

// Create writes an empty SQL migration dir/NNNNN_name.sql, numbered one
// past the highest version in dir, and returns its path. The directory is
// created if missing.
func Create(dir, name string) (string, error) {
	return CreateWith(dir, name, []byte(sqlTemplate))
}

// CreateWith is [Create] with the file's content given.
func CreateWith(dir, name string, content []byte) (string, error) {
	slug := strings.Trim(badNameChars.ReplaceAllString(strings.ToLower(name), "_"), "_")
	if slug == "" {
		return "", fmt.Errorf("migration name %q has no letters or digits", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var last int64
	for _, e := range entries {
		if m := versionPrefix.FindStringSubmatch(e.Name()); m != nil {
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err == nil && v > last {
				last = v
			}
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%05d_%s.sql", last+1, slug))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
