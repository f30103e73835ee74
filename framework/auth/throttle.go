package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/store"
)

// ErrThrottled is wrapped by *ThrottledError.
var ErrThrottled = errors.New("too many failed login attempts")

// ThrottledError says how long to wait before trying again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: try again in %s", ErrThrottled, e.RetryAfter.Round(time.Second))
}

func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// Throttle counts failed logins per key in the database, so every app
// instance sees the same counts, and refuses a key for Lockout once it
// reaches Limit failures within Window.
type Throttle struct {
	q       store.LoginFailuresQueries
	dialect dialects.Dialect
	// Limit, Window and Lockout default to 5 failures in 15 minutes, then
	// 15 minutes locked.
	Limit   int64
	Window  time.Duration
	Lockout time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// NewThrottle returns a throttle over db with the defaults.
func NewThrottle(db store.DBTX, d dialects.Dialect) *Throttle {
	return &Throttle{q: d.Queries(db), dialect: d, Limit: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute, Now: time.Now}
}

// LoginKeys are the keys a login attempt counts against: the account and
// the client's address.
func LoginKeys(username, ip string) []string {
	keys := []string{"user:" + username}
	if ip != "" {
		keys = append(keys, "ip:"+ip)
	}
	return keys
}

// Check returns a *ThrottledError when any key is locked.
func (t *Throttle) Check(ctx context.Context, keys ...string) error {
	now := t.Now().UTC()
	var wait time.Duration
	for _, k := range keys {
		row, err := t.q.LoginFailureGet(ctx, k)
		if err := t.dialect.ClassifyError(err); errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if row.LockedUntil.Valid && row.LockedUntil.Time.After(now) {
			wait = max(wait, row.LockedUntil.Time.Sub(now))
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// Begin is called before a password is checked. It refuses locked keys,
// then counts the attempt against every key first, so that requests sent
// in parallel cannot all slip past the limit: once a key's count is over
// it, further attempts are refused (and the key locked) without checking
// the password. End settles the attempt.
func (t *Throttle) Begin(ctx context.Context, keys ...string) error {
	if err := t.Check(ctx, keys...); err != nil {
		return err
	}
	now := t.Now().UTC()
	over := false
	for _, k := range keys {
		err := t.q.LoginFailureResetWindow(ctx, store.LoginFailureResetWindowParams{ThrottleKey: k, WindowStart: now, Cutoff: now.Add(-t.Window)})
		if err == nil {
			err = t.q.LoginFailureCount(ctx, store.LoginFailureCountParams{ThrottleKey: k, WindowStart: now})
		}
		if err != nil {
			return err
		}
		// Read back the count, with every concurrent attempt's included.
		row, err := t.q.LoginFailureGet(ctx, k)
		if err != nil {
			return err
		}
		if row.Failures > t.Limit {
			over = true
			if err := t.lock(ctx, k, now); err != nil {
				return err
			}
		}
	}
	if over {
		return &ThrottledError{RetryAfter: t.Lockout}
	}
	return nil
}

// End settles an attempt Begin counted: a failure stays counted and locks
// the keys that reached the limit; a success gives the attempt back to the
// address and clears the account's count (one good password must not
// unlock guessing at other accounts from the same address).
func (t *Throttle) End(ctx context.Context, username, ip string, ok bool) error {
	keys := LoginKeys(username, ip)
	if ok {
		if len(keys) > 1 {
			if err := t.q.LoginFailureDecrement(ctx, keys[1]); err != nil {
				return err
			}
		}
		return t.q.LoginFailureClear(ctx, keys[0])
	}
	now := t.Now().UTC()
	for _, k := range keys {
		row, err := t.q.LoginFailureGet(ctx, k)
		if err != nil {
			return err
		}
		if row.Failures >= t.Limit {
			if err := t.lock(ctx, k, now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Throttle) lock(ctx context.Context, key string, now time.Time) error {
	until := sql.NullTime{Time: now.Add(t.Lockout), Valid: true}
	return t.q.LoginFailureLock(ctx, store.LoginFailureLockParams{ThrottleKey: key, LockedUntil: until})
}

// Login authenticates with throttling: a locked account or address is
// refused without checking the password, the attempt is counted before
// the check (see Begin), and a success resets the account's count.
func (s *Service) Login(ctx context.Context, t *Throttle, username, password, ip string) (store.QuarryUser, error) {
	if err := t.Begin(ctx, LoginKeys(username, ip)...); err != nil {
		return store.QuarryUser{}, err
	}
	u, err := s.Authenticate(ctx, username, password)
	if err != nil && !errors.Is(err, ErrInvalidCredentials) {
		return store.QuarryUser{}, err
	}
	if endErr := t.End(ctx, username, ip, err == nil); endErr != nil {
		return store.QuarryUser{}, endErr
	}
	return u, err
}

// CheckPassword reports whether password is the user's, throttled like a
// login, without recording a login (for re-authentication such as a
// password change). A wrong password is ErrInvalidCredentials.
func (s *Service) CheckPassword(ctx context.Context, t *Throttle, u store.QuarryUser, password, ip string) error {
	if err := t.Begin(ctx, LoginKeys(u.Username, ip)...); err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(password, u.PasswordHash)
	if errors.Is(err, ErrBadHash) {
		s.hasher.VerifyDummy(password)
	} else if err != nil {
		return err
	}
	if err := t.End(ctx, u.Username, ip, ok); err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCredentials
	}
	return nil
}
