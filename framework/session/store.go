package session

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/store"
)

// Store keeps scs sessions in quarry_sessions.
type Store struct {
	q       store.SessionsQueries
	dialect dialects.Dialect
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Logger receives cleanup errors. Default: slog.Default().
	Logger *slog.Logger
}

var (
	_ scs.Store            = (*Store)(nil)
	_ scs.CtxStore         = (*Store)(nil)
	_ scs.IterableStore    = (*Store)(nil)
	_ scs.IterableCtxStore = (*Store)(nil)
)

// NewStore returns a store over db (a pool; sessions are not written inside
// the caller's transactions).
func NewStore(db store.DBTX, d dialects.Dialect) *Store {
	return &Store{q: d.Queries(db), dialect: d, Now: time.Now}
}

func (s *Store) now() time.Time { return s.Now().UTC() }

// FindCtx returns the data of a live session.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, err := s.q.SessionFind(ctx, store.SessionFindParams{Token: token, Now: s.now()})
	if err := s.dialect.ClassifyError(err); errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// CommitCtx writes a session, replacing an earlier version.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.q.SessionCommit(ctx, store.SessionCommitParams{Token: token, Data: b, Expiry: expiry.UTC()})
}

// DeleteCtx removes a session; a missing one is not an error.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	return s.q.SessionDelete(ctx, token)
}

// AllCtx returns every live session by token.
func (s *Store) AllCtx(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.q.SessionListLive(ctx, s.now())
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(rows))
	for _, r := range rows {
		out[r.Token] = r.Data
	}
	return out, nil
}

// DeleteExpired removes expired sessions and returns how many.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	return s.q.SessionDeleteExpired(ctx, s.now())
}

// StartCleanup deletes expired sessions every interval until the returned
// function is called.
func (s *Store) StartCleanup(interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := s.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
					s.logger().Warn("session cleanup", "error", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (s *Store) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Find implements scs.Store.
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (s *Store) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// All implements scs.IterableStore.
func (s *Store) All() (map[string][]byte, error) { return s.AllCtx(context.Background()) }
