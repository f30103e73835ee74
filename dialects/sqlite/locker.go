package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"

	"github.com/pressly/goose/v3/lock"
)

// fileLocker serialises migration runs on one SQLite file with an exclusive
// advisory lock (flock) on a file beside it.
type fileLocker struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

var _ lock.Locker = (*fileLocker)(nil)

func (l *fileLocker) Lock(ctx context.Context, _ *sql.DB) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open migration lock %s: %w", l.path, err)
	}
	if err := flock(ctx, f); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	l.mu.Lock()
	l.f = f
	l.mu.Unlock()
	return nil
}

func (l *fileLocker) Unlock(context.Context, *sql.DB) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the lock
	l.f = nil
	return err
}

// noLocker is used where no other process can reach the database.
type noLocker struct{}

func (noLocker) Lock(context.Context, *sql.DB) error   { return nil }
func (noLocker) Unlock(context.Context, *sql.DB) error { return nil }
