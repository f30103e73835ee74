package session

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/queries"
)

// UserIDKey is the session value holding the logged-in user's id. The
// store copies it into the row's user_id column, so that a request loads
// its session and its user in one query (see WithUser).
const UserIDKey = "quarry.user_id"

// Store keeps scs sessions in quarry_sessions: in the request's database
// (framework.DatabaseFrom of the context scs passes) when there is one,
// else in the database the store was made with. So under a tenant
// resolver each tenant's sessions live in the tenant's database, and a
// session cookie of one tenant is unknown to every other.
type Store struct {
	db *framework.Database
	q  queries.SessionsQueries
	// IdleTimeout ends a session unused for that long (default 24 hours;
	// 0 for none): a row's expiry is at most IdleTimeout ahead, and a
	// request moves it forward (one UPDATE of the expiry alone) only once
	// IdleTimeout/24 has passed since the last move, so a busy session is
	// not rewritten on every request. Use it instead of scs's own
	// IdleTimeout, which rewrites the whole session on every request
	// (authhttp.NewSessions does).
	IdleTimeout time.Duration
	// Codec decodes session data for the user id and the absolute
	// deadline; it must be the session manager's. Default: scs.GobCodec.
	Codec scs.Codec
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Logger receives cleanup errors. Default: slog.Default().
	Logger *slog.Logger
}

// Loaded receives the user of a session found by a store find whose
// context came from WithUser.
type Loaded struct {
	// Found is set when the session belongs to a user; User is that user
	// as the session's own query read it, and AuthVersion the permissions
	// version (quarry_auth_version; 0 before any change) read with it.
	Found       bool
	User        auth.User
	AuthVersion int64
}

type loadedKey struct{}

// WithUser returns a context under which the store's find also reads the
// session's user, in the same query, into the returned Loaded. A store
// that cannot (such as Redis) leaves it empty, and the caller reads the
// user itself.
func WithUser(ctx context.Context) (context.Context, *Loaded) {
	l := &Loaded{}
	return context.WithValue(ctx, loadedKey{}, l), l
}

var (
	_ scs.Store            = (*Store)(nil)
	_ scs.CtxStore         = (*Store)(nil)
	_ scs.IterableStore    = (*Store)(nil)
	_ scs.IterableCtxStore = (*Store)(nil)
)

// NewStore returns a store over db's pool, used when a request's context
// carries no database of its own (sessions are not written inside the
// caller's transactions).
func NewStore(db *framework.Database) *Store {
	return &Store{db: db, q: db.Queries(), IdleTimeout: 24 * time.Hour, Codec: scs.GobCodec{}, Now: time.Now}
}

// queries returns the queries of ctx's database, or of the store's own.
func (s *Store) queries(ctx context.Context) queries.SessionsQueries {
	if d := framework.DatabaseFrom(ctx); d != nil && d != s.db && d.DB != s.db.DB {
		return d.Queries()
	}
	return s.q
}

func (s *Store) now() time.Time { return s.Now().UTC() }

// sessionUser is the user columns of a session's row as an auth.User, the
// way auth converts its own user row (package auth's userFromRow, which
// this must follow: the tests compare the two).
func sessionUser(r queries.SessionFindUserRow) auth.User {
	return auth.User{
		ID: r.ID, Username: r.Username, Email: r.Email,
		IsActive: r.IsActive, IsStaff: r.IsStaff, IsSuperuser: r.IsSuperuser,
		LastLogin: utcOrZero(r.LastLogin), PasswordChangedAt: utcOrZero(r.PasswordChangedAt),
		CreatedAt: r.CreatedAt.UTC(), Data: json.RawMessage(r.Data),
	}
}

// utcOrZero is t in UTC, or the zero time for NULL.
func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// FindCtx returns the data of a live session. Under a context from
// WithUser, a logged-in user's session is read with its user in one query.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if l, ok := ctx.Value(loadedKey{}).(*Loaded); ok {
		row, err := s.queries(ctx).SessionFindUser(ctx, queries.SessionFindUserParams{Token: token, Now: s.now()})
		if err != nil && !errors.Is(err, queries.ErrNotFound) {
			return nil, false, err
		} else if err == nil {
			l.Found, l.User, l.AuthVersion = true, sessionUser(row), row.AuthVersion.Int64
			s.touch(ctx, token, row.SessionData, row.Expiry)
			return row.SessionData, true, nil
		}
		// No user: an anonymous session, or none; read it alone.
	}
	row, err := s.queries(ctx).SessionFind(ctx, queries.SessionFindParams{Token: token, Now: s.now()})
	if errors.Is(err, queries.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	s.touch(ctx, token, row.Data, row.Expiry)
	return row.Data, true, nil
}

// CommitCtx writes a session, replacing an earlier version, with its user
// (UserIDKey) and an expiry no further than IdleTimeout ahead.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	var user sql.NullInt64
	if _, values, err := s.Codec.Decode(b); err == nil {
		if id, ok := values[UserIDKey].(int64); ok && id != 0 {
			user = sql.NullInt64{Int64: id, Valid: true}
		}
	}
	if s.IdleTimeout > 0 {
		if idle := s.now().Add(s.IdleTimeout); idle.Before(expiry) {
			expiry = idle
		}
	}
	return s.queries(ctx).SessionCommit(ctx, queries.SessionCommitParams{Token: token, Data: b, Expiry: expiry.UTC(), UserID: user})
}

// touch moves a live session's expiry to IdleTimeout from now (but not
// past its absolute deadline) once IdleTimeout/24 has passed since the
// last move. A failure is logged: the session still serves this request.
func (s *Store) touch(ctx context.Context, token string, data []byte, expiry time.Time) {
	if s.IdleTimeout <= 0 {
		return
	}
	target := s.now().Add(s.IdleTimeout)
	if target.Sub(expiry) < s.IdleTimeout/24 {
		return
	}
	if deadline, _, err := s.Codec.Decode(data); err == nil && deadline.Before(target) {
		target = deadline
	}
	if !target.After(expiry) {
		return
	}
	if err := s.queries(ctx).SessionTouch(ctx, queries.SessionTouchParams{Token: token, Expiry: target.UTC()}); err != nil && ctx.Err() == nil {
		s.logger().WarnContext(ctx, "session touch", "error", err)
	}
}

// DeleteCtx removes a session; a missing one is not an error.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	return s.queries(ctx).SessionDelete(ctx, token)
}

// AllCtx returns every live session by token.
func (s *Store) AllCtx(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.queries(ctx).SessionListLive(ctx, s.now())
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
	return s.queries(ctx).SessionDeleteExpired(ctx, s.now())
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
