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

// Fail counts a failed attempt against every key and locks those that
// reach the limit.
func (t *Throttle) Fail(ctx context.Context, keys ...string) error {
	now := t.Now().UTC()
	for _, k := range keys {
		row, err := t.q.LoginFailureGet(ctx, k)
		err = t.dialect.ClassifyError(err)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && row.WindowStart.Add(t.Window).Before(now):
			err = t.q.LoginFailureStart(ctx, store.LoginFailureStartParams{ThrottleKey: k, WindowStart: now})
			row.Failures = 1
		case err == nil:
			err = t.q.LoginFailureIncrement(ctx, k)
			row.Failures++
		}
		if err != nil {
			return err
		}
		if row.Failures >= t.Limit {
			until := sql.NullTime{Time: now.Add(t.Lockout), Valid: true}
			if err := t.q.LoginFailureLock(ctx, store.LoginFailureLockParams{ThrottleKey: k, LockedUntil: until}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Succeed forgets the failures of the account's key (not the address's:
// one good password must not unlock guessing at other accounts).
func (t *Throttle) Succeed(ctx context.Context, username string) error {
	return t.q.LoginFailureClear(ctx, "user:"+username)
}

// Login authenticates with throttling: a locked account or address is
// refused without checking the password, a failure is counted, a success
// resets the account's count.
func (s *Service) Login(ctx context.Context, t *Throttle, username, password, ip string) (store.QuarryUser, error) {
	keys := LoginKeys(username, ip)
	if err := t.Check(ctx, keys...); err != nil {
		return store.QuarryUser{}, err
	}
	u, err := s.Authenticate(ctx, username, password)
	if errors.Is(err, ErrInvalidCredentials) {
		if ferr := t.Fail(ctx, keys...); ferr != nil {
			return store.QuarryUser{}, ferr
		}
		return store.QuarryUser{}, err
	}
	if err != nil {
		return store.QuarryUser{}, err
	}
	return u, t.Succeed(ctx, username)
}
