package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "migrations")
	p1, err := Create(dir, "Create Users")
	if err != nil || filepath.Base(p1) != "00001_create_users.sql" {
		t.Fatalf("first: %s, %v", p1, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "00007_later.sql"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.md"), nil, 0o644)
	p2, err := Create(dir, "add-email--index")
	if err != nil || filepath.Base(p2) != "00008_add_email_index.sql" {
		t.Fatalf("second: %s, %v", p2, err)
	}
	b, _ := os.ReadFile(p2)
	if !strings.Contains(string(b), "-- +goose Up") || !strings.Contains(string(b), "-- +goose Down") {
		t.Errorf("template: %s", b)
	}
	if _, err := Create(dir, "  --  "); err == nil {
		t.Error("empty name accepted")
	}
}
