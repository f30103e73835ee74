package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestFileLocker checks that a second SQLite migration lock waits for the
// first to be released, and gives up when its context ends.
func TestFileLocker(t *testing.T) {
	t.Parallel()
	u, err := Dialect{}.ParseURL("sqlite:" + filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, _ := u.Dialect.MigrationLocker(u)
	second, _ := u.Dialect.MigrationLocker(u)
	if err := first.Lock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := second.Lock(short, nil); err == nil {
		t.Fatal("second lock acquired while the first is held")
	}
	acquired := make(chan error, 1)
	go func() { acquired <- second.Lock(ctx, nil) }()
	select {
	case <-acquired:
		t.Fatal("second lock acquired before release")
	case <-time.After(200 * time.Millisecond):
	}
	if err := first.Unlock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-acquired:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second lock not acquired after release")
	}
	if err := second.Unlock(ctx, nil); err != nil {
		t.Fatal(err)
	}

	mem, _ := Dialect{}.ParseURL("sqlite::memory:")
	if l, _ := mem.Dialect.MigrationLocker(mem); l.Lock(ctx, nil) != nil {
		t.Error("memory database locker failed")
	}
}
