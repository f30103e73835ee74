package dialecttest

import (
	"database/sql"
	"errors"
	"time"

	"github.com/quarry-go/quarry/queries"
)

// testLoginFailures: the throttle's counts are created and incremented
// atomically, given back, locked, reset, cleared, and forgotten when stale.
func testLoginFailures(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := now()
	get := func(key string) queries.QuarryLoginFailure {
		t.Helper()
		f, err := q.LoginFailureGet(ctx, key)
		e.must("LoginFailureGet "+key, err)
		return f
	}
	count := func(key string, window time.Time) {
		t.Helper()
		e.must("LoginFailureCount "+key, q.LoginFailureCount(ctx, queries.LoginFailureCountParams{ThrottleKey: key, WindowStart: window}))
	}
	count("u:ada", t0)
	if f := get("u:ada"); f.ThrottleKey != "u:ada" || f.Failures != 1 || !sameTime(f.WindowStart, t0) || f.LockedUntil.Valid {
		t.Errorf("after one failure: %+v", f)
	}
	count("u:ada", t0.Add(time.Minute)) // counts; the window stays
	count("u:ada", t0.Add(time.Minute))
	if f := get("u:ada"); f.Failures != 3 || !sameTime(f.WindowStart, t0) {
		t.Errorf("after three failures: %+v; want 3 in the first window", f)
	}
	for range 4 {
		e.must("LoginFailureDecrement", q.LoginFailureDecrement(ctx, "u:ada"))
	}
	if f := get("u:ada"); f.Failures != 0 {
		t.Errorf("after giving back more than counted: %d failures; want 0", f.Failures)
	}
	e.must("LoginFailureDecrement(missing)", q.LoginFailureDecrement(ctx, "missing"))
	count("u:ada", t0)

	until := t0.Add(5 * time.Minute)
	e.must("LoginFailureLock", q.LoginFailureLock(ctx, queries.LoginFailureLockParams{LockedUntil: sql.NullTime{Time: until, Valid: true}, ThrottleKey: "u:ada"}))
	if f := get("u:ada"); !f.LockedUntil.Valid || !sameTime(f.LockedUntil.Time, until) || f.Failures != 1 {
		t.Errorf("after LoginFailureLock: %+v", f)
	}
	// A window that began at the cutoff is not reset; one before it is.
	e.must("LoginFailureResetWindow", q.LoginFailureResetWindow(ctx, queries.LoginFailureResetWindowParams{WindowStart: t0.Add(time.Hour), ThrottleKey: "u:ada", Cutoff: t0}))
	if f := get("u:ada"); f.Failures != 1 || !sameTime(f.WindowStart, t0) || !f.LockedUntil.Valid {
		t.Errorf("a window not older than the cutoff was reset: %+v", f)
	}
	e.must("LoginFailureResetWindow", q.LoginFailureResetWindow(ctx, queries.LoginFailureResetWindowParams{WindowStart: t0.Add(time.Hour), ThrottleKey: "u:ada", Cutoff: t0.Add(time.Second)}))
	if f := get("u:ada"); f.Failures != 0 || !sameTime(f.WindowStart, t0.Add(time.Hour)) || f.LockedUntil.Valid {
		t.Errorf("after LoginFailureResetWindow: %+v; want 0 failures, a new window, no lock", f)
	}
	e.must("LoginFailureClear", q.LoginFailureClear(ctx, "u:ada"))
	if _, err := q.LoginFailureGet(ctx, "u:ada"); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("LoginFailureGet after LoginFailureClear = %v; want ErrNotFound", err)
	}
	e.must("LoginFailureClear(missing)", q.LoginFailureClear(ctx, "u:ada"))

	// Stale: old counts without a lock still running, and old marks of
	// known addresses; not fresh counts, running locks or fresh marks.
	count("stale", t0.Add(-2*time.Hour))
	count("stale-lock-over", t0.Add(-2*time.Hour))
	e.must("LoginFailureLock", q.LoginFailureLock(ctx, queries.LoginFailureLockParams{LockedUntil: sql.NullTime{Time: t0.Add(-90 * time.Minute), Valid: true}, ThrottleKey: "stale-lock-over"}))
	count("locked", t0.Add(-2*time.Hour))
	e.must("LoginFailureLock", q.LoginFailureLock(ctx, queries.LoginFailureLockParams{LockedUntil: sql.NullTime{Time: t0.Add(time.Hour), Valid: true}, ThrottleKey: "locked"}))
	count("fresh", t0)
	count("ok:old", t0.Add(-40*24*time.Hour))
	count("ok:new", t0.Add(-2*time.Hour))
	n, err := q.LoginFailureDeleteStale(ctx, queries.LoginFailureDeleteStaleParams{
		CountCutoff: t0.Add(-time.Hour), LockCutoff: sql.NullTime{Time: t0, Valid: true}, KnownCutoff: t0.Add(-30 * 24 * time.Hour)})
	e.rows("LoginFailureDeleteStale", n, err, 3)
	for key, kept := range map[string]bool{"stale": false, "stale-lock-over": false, "ok:old": false, "locked": true, "fresh": true, "ok:new": true} {
		_, err := q.LoginFailureGet(ctx, key)
		if kept && err != nil || !kept && !errors.Is(err, queries.ErrNotFound) {
			t.Errorf("after LoginFailureDeleteStale, %s: %v (kept: want %v)", key, err, kept)
		}
	}
}
