package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/textinput"
	"github.com/quarry-go/quarry/queries"
)

// ErrThrottled is wrapped by *ThrottledError.
var ErrThrottled = errors.New("too many failed login attempts")

// ThrottledError says how long to wait before trying again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: try again in %s", ErrThrottled, e.RetryAfter.Round(time.Second))
}

func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// Throttle slows password guessing down without letting anyone lock a user
// out of their account, as the OWASP Authentication Cheat Sheet advises:
// no account is ever locked for everyone by a few failures. It counts
// failed attempts in the database (quarry_login_failures), so every app
// instance sees the same counts, under three keys per attempt:
//
//   - The account and address pair: PairFree failures are free; once they
//     are used up, every further attempt from that address at that account
//     must wait a delay that starts at BaseDelay and doubles with each
//     failure, up to MaxDelay. The owner, at another address, is not slowed
//     down at all.
//   - The address, across every account: the same delays after AddressFree
//     failures, against one password sprayed over many accounts. IPv6
//     addresses count by their /64 prefix, which one client usually holds
//     entirely.
//   - The account, across every address: a ceiling of AccountLimit
//     failures per AccountWindow (a window starts at its first failure),
//     against guessing spread over many addresses. At the ceiling the
//     account refuses logins for the rest of the window, except from an
//     address that logged in to it successfully within KnownFor: the
//     owner's usual address still gets in, a new one waits.
//
// A pair's or an address's count is forgotten once ResetAfter has passed
// both since the count began and since its last delay ended, so a patient
// guesser stays at MaxDelay. A successful
// login clears its pair and hands the attempt back to the address and the
// account (their other failures stay counted: one good password must not
// reopen guessing elsewhere), and remembers the address as known for the
// account.
//
// Every attempt is counted before the password is checked, in one
// transaction that reads back its own position, so requests sent in
// parallel cannot slip past the limits: at most PairFree of them reach the
// password check for a fresh pair, then one per delay. A refused attempt
// is not counted, so hammering a throttled key does not lengthen anyone's
// wait. The Throttle runs on the pool, in transactions of its own, never
// inside a caller's (where an attempt refused in a race would stay
// counted).
//
// Keys are bounded whatever the client sends (at most 190 characters of
// valid UTF-8 without NUL, for a 255-character column): an account is
// "id:<user id>" for an existing user, "u:<username>" for a username no
// user has, and "h:<SHA-256 of the raw bytes>" for a username that cannot
// exist (longer than 150 characters, invalid UTF-8, NUL), so distinct
// hostile names keep distinct counts; an address is the IPv4 address, the
// IPv6 /64 prefix, or "h:" and a SHA-256 prefix for anything that is not
// an IP address. Without an address (ip ""), only the pair (then per
// account) and the account ceiling apply.
type Throttle struct {
	db *framework.Database
	q  queries.LoginFailuresQueries

	// PairFree is how many failures an address has at one account before
	// delays start (default 5); AddressFree the same across all accounts
	// (default 20).
	PairFree, AddressFree int64
	// BaseDelay is the first delay (default 30 seconds); each further
	// failure doubles it, up to MaxDelay (default 15 minutes).
	BaseDelay, MaxDelay time.Duration
	// ResetAfter is how long a pair or an address must stay quiet before
	// its count is forgotten (default 1 hour).
	ResetAfter time.Duration
	// AccountLimit is the ceiling of failures at one account from all
	// addresses within AccountWindow (default 100 per hour).
	AccountLimit  int64
	AccountWindow time.Duration
	// KnownFor is how long an address that logged in successfully stays
	// exempt from the account ceiling (default 30 days).
	KnownFor time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// NewThrottle returns a throttle over db with the defaults.
func NewThrottle(db *framework.Database) *Throttle {
	return &Throttle{db: db, q: db.Queries(),
		PairFree: 5, AddressFree: 20, BaseDelay: 30 * time.Second, MaxDelay: 15 * time.Minute,
		ResetAfter: time.Hour, AccountLimit: 100, AccountWindow: time.Hour, KnownFor: 30 * 24 * time.Hour,
		Now: time.Now}
}

// maxUsernameChars is the longest username that can exist: the length of
// the username column (and of CheckUsername's rule).
const maxUsernameChars = 150

// possibleUsername reports whether some user could have this username; any
// other is refused before it reaches a query or a throttle key verbatim.
func possibleUsername(name string) bool {
	return name != "" && textinput.Check("username", name, maxUsernameChars) == nil
}

// accountName is the throttle's name for the account a login names: the
// user id when found, else the username.
func accountName(id int64, found bool, username string) string {
	switch {
	case found:
		return "id:" + strconv.FormatInt(id, 10)
	case possibleUsername(username):
		return "u:" + username
	}
	return "h:" + digest(username)
}

// addressName is the throttle's name for a client address: IPv4 as is,
// IPv6 by its /64 prefix, anything else hashed.
func addressName(ip string) string {
	if ip == "" {
		return ""
	}
	if a, err := netip.ParseAddr(ip); err == nil {
		a = a.Unmap().WithZone("")
		if a.Is6() {
			return netip.PrefixFrom(a, 64).Masked().String()
		}
		return a.String()
	}
	return "h:" + digest(ip)[:32]
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type keyKind int

// The kinds in the order an attempt locks their rows, the same for every
// attempt so that two attempts never wait on each other in a cycle.
const (
	accountKey keyKind = iota
	addressKey
	pairKey
)

type throttleKey struct {
	name string
	kind keyKind
}

// attempt is whom and from where a login attempt comes, named as the
// throttle's keys name them.
type attempt struct{ account, address string }

func newAttempt(account, ip string) attempt { return attempt{account, addressName(ip)} }

// keys are the rows the attempt counts against, in locking order.
func (a attempt) keys() []throttleKey {
	keys := []throttleKey{{"a:" + a.account, accountKey}}
	if a.address != "" {
		keys = append(keys, throttleKey{"ip:" + a.address, addressKey})
	}
	return append(keys, throttleKey{"p:" + a.address + "|" + a.account, pairKey})
}

// knownKey is the row that marks the address as one the account logged in
// from (its window_start is the last success).
func (a attempt) knownKey() string { return "ok:" + a.address + "|" + a.account }

// stale reports whether row's count is to be forgotten at now.
func (t *Throttle) stale(row queries.QuarryLoginFailure, kind keyKind, now time.Time) bool {
	if kind == accountKey {
		return row.WindowStart.Before(now.Add(-t.AccountWindow))
	}
	cutoff := now.Add(-t.ResetAfter)
	return row.WindowStart.Before(cutoff) && (!row.LockedUntil.Valid || row.LockedUntil.Time.Before(cutoff))
}

// DeleteStale deletes the rows the throttle no longer reads: counts whose
// window and last delay ended more than ResetAfter and AccountWindow ago,
// and marks of known addresses older than KnownFor. Run it periodically
// (the demo does, beside its session purge), so that a stream of new
// usernames or addresses cannot grow the table without bound.
func (t *Throttle) DeleteStale(ctx context.Context) (int64, error) {
	now := t.Now().UTC()
	cutoff := now.Add(-max(t.ResetAfter, t.AccountWindow))
	return t.q.LoginFailureDeleteStale(ctx, queries.LoginFailureDeleteStaleParams{
		CountCutoff: cutoff, LockCutoff: sql.NullTime{Time: cutoff, Valid: true}, KnownCutoff: now.Add(-t.KnownFor)})
}

// delay is the wait after a failure that leaves a pair or an address over
// its free failures by over (0 for the first).
func (t *Throttle) delay(over int64) time.Duration {
	d := t.BaseDelay
	for ; over > 0 && d > 0 && d < t.MaxDelay; over-- {
		d *= 2
	}
	return min(d, t.MaxDelay)
}

func (t *Throttle) free(kind keyKind) int64 {
	if kind == addressKey {
		return t.AddressFree
	}
	return t.PairFree
}

// known reports whether a's address logged in to a's account within KnownFor.
func (t *Throttle) known(ctx context.Context, q queries.LoginFailuresQueries, a attempt, now time.Time) (bool, error) {
	if a.address == "" {
		return false, nil
	}
	row, err := q.LoginFailureGet(ctx, a.knownKey())
	if errors.Is(err, queries.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return !row.WindowStart.Before(now.Add(-t.KnownFor)), nil
}

// wait is how long the key's row makes an attempt wait; counted is 1 when
// the row's count includes the attempt being decided, 0 when it does not.
func (t *Throttle) wait(row queries.QuarryLoginFailure, kind keyKind, counted int64, now time.Time, known func() (bool, error)) (time.Duration, error) {
	if kind == accountKey {
		if row.Failures+1-counted <= t.AccountLimit {
			return 0, nil
		}
		if ok, err := known(); ok || err != nil {
			return 0, err
		}
		return row.WindowStart.Add(t.AccountWindow).Sub(now), nil
	}
	if row.LockedUntil.Valid && row.LockedUntil.Time.After(now) {
		return row.LockedUntil.Time.Sub(now), nil
	}
	return 0, nil
}

// check returns a *ThrottledError when any of the attempt's keys makes it
// wait, without counting anything.
func (t *Throttle) check(ctx context.Context, a attempt, now time.Time) error {
	var longest time.Duration
	known := t.knownOnce(ctx, t.q, a, now)
	for _, k := range a.keys() {
		row, err := t.q.LoginFailureGet(ctx, k.name)
		if errors.Is(err, queries.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if t.stale(row, k.kind, now) {
			continue
		}
		w, err := t.wait(row, k.kind, 0, now, known)
		if err != nil {
			return err
		}
		longest = max(longest, w)
	}
	if longest > 0 {
		return &ThrottledError{RetryAfter: longest}
	}
	return nil
}

func (t *Throttle) knownOnce(ctx context.Context, q queries.LoginFailuresQueries, a attempt, now time.Time) func() (bool, error) {
	var done, ok bool
	return func() (bool, error) {
		if done {
			return ok, nil
		}
		var err error
		ok, err = t.known(ctx, q, a, now)
		done = err == nil
		return ok, err
	}
}

// begin is called before a password is checked: it refuses the attempt
// when a key makes it wait, and otherwise counts it against every key,
// starting the pair's or the address's next delay when their free
// failures are used up (a success gives that back in end).
func (t *Throttle) begin(ctx context.Context, a attempt) error {
	now := t.Now().UTC()
	// Refusing on a plain read first keeps a flood of throttled attempts
	// from queueing on the rows' locks.
	if err := t.check(ctx, a, now); err != nil {
		return err
	}
	return t.inTx(ctx, func(q queries.LoginFailuresQueries) error {
		known := t.knownOnce(ctx, q, a, now)
		for _, k := range a.keys() {
			row, err := t.count(ctx, q, k, now)
			if err != nil {
				return err
			}
			// The row is locked by this transaction: its count is this
			// attempt's position, and its lock is the one it must obey.
			if w, err := t.wait(row, k.kind, 1, now, known); err != nil {
				return err
			} else if w > 0 {
				return &ThrottledError{RetryAfter: w} // rolls the counts back
			}
			if k.kind != accountKey && row.Failures >= t.free(k.kind) {
				if d := t.delay(row.Failures - t.free(k.kind)); d > 0 {
					until := sql.NullTime{Time: now.Add(d), Valid: true}
					if err := q.LoginFailureLock(ctx, queries.LoginFailureLockParams{ThrottleKey: k.name, LockedUntil: until}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// count adds the attempt to key's row, first forgetting a stale count,
// and returns the row as this transaction holds it.
func (t *Throttle) count(ctx context.Context, q queries.LoginFailuresQueries, k throttleKey, now time.Time) (queries.QuarryLoginFailure, error) {
	add := queries.LoginFailureCountParams{ThrottleKey: k.name, WindowStart: now}
	if err := q.LoginFailureCount(ctx, add); err != nil {
		return queries.QuarryLoginFailure{}, err
	}
	row, err := q.LoginFailureGet(ctx, k.name)
	if err != nil || !t.stale(row, k.kind, now) {
		return row, err
	}
	// Every window began before the cutoff: this one restarts, and counts
	// this attempt as its first.
	reset := queries.LoginFailureResetWindowParams{ThrottleKey: k.name, WindowStart: now, Cutoff: now.Add(time.Second)}
	if err := q.LoginFailureResetWindow(ctx, reset); err != nil {
		return row, err
	}
	if err := q.LoginFailureCount(ctx, add); err != nil {
		return row, err
	}
	return q.LoginFailureGet(ctx, k.name)
}

// end settles an attempt begin counted. A failure stays counted. A success
// clears the pair, gives the attempt back to the address (lifting the
// delay it started if the address is back within its free failures) and
// to the account, and marks the address as known for the account.
func (t *Throttle) end(ctx context.Context, a attempt, ok bool) error {
	if !ok {
		return nil
	}
	now := t.Now().UTC()
	return t.inTx(ctx, func(q queries.LoginFailuresQueries) error {
		for _, k := range a.keys() {
			if k.kind == pairKey {
				if err := q.LoginFailureClear(ctx, k.name); err != nil {
					return err
				}
				continue
			}
			if err := q.LoginFailureDecrement(ctx, k.name); err != nil {
				return err
			}
			if k.kind != addressKey {
				continue
			}
			row, err := q.LoginFailureGet(ctx, k.name)
			if errors.Is(err, queries.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if row.Failures < t.AddressFree && row.LockedUntil.Valid {
				if err := q.LoginFailureLock(ctx, queries.LoginFailureLockParams{ThrottleKey: k.name}); err != nil {
					return err
				}
			}
		}
		if a.address == "" {
			return nil
		}
		// The known mark: a row whose window starts at the last success.
		mark := queries.LoginFailureCountParams{ThrottleKey: a.knownKey(), WindowStart: now}
		if err := q.LoginFailureCount(ctx, mark); err != nil {
			return err
		}
		return q.LoginFailureResetWindow(ctx, queries.LoginFailureResetWindowParams{ThrottleKey: a.knownKey(), WindowStart: now, Cutoff: now.Add(time.Second)})
	})
}

// inTx runs fn in a transaction of its own (retrying a deadlock or
// serialization failure). An error from fn, a *ThrottledError included,
// rolls back.
func (t *Throttle) inTx(ctx context.Context, fn func(q queries.LoginFailuresQueries) error) error {
	return t.db.InTx(ctx, nil, func(tx *framework.Tx) error { return fn(tx.Queries()) })
}

// Login authenticates with throttling (see Throttle): a throttled attempt
// is refused with a *ThrottledError before the password is checked, every
// other attempt is counted before the check, and a username that cannot
// exist is answered like any wrong password.
func (s *Service) Login(ctx context.Context, t *Throttle, username, password, ip string) (User, error) {
	row, found, err := s.findUser(ctx, username)
	if err != nil {
		return User{}, err
	}
	a := newAttempt(accountName(row.ID, found, username), ip)
	if err := t.begin(ctx, a); err != nil {
		return User{}, err
	}
	u, err := s.verify(ctx, row, found, password)
	if err != nil && !errors.Is(err, ErrInvalidCredentials) {
		return User{}, err
	}
	if endErr := t.end(ctx, a, err == nil); endErr != nil {
		return User{}, endErr
	}
	return u, err
}

// CheckPassword reports whether password is the user's, throttled like a
// login to the same account, without recording a login (for
// re-authentication such as a password change). The password is checked
// against the hash stored now; a wrong password, or a user that no longer
// exists, is ErrInvalidCredentials.
func (s *Service) CheckPassword(ctx context.Context, t *Throttle, u User, password, ip string) error {
	a := newAttempt(accountName(u.ID, true, u.Username), ip)
	if err := t.begin(ctx, a); err != nil {
		return err
	}
	var ok bool
	row, err := s.q.UserGetByID(ctx, u.ID)
	switch {
	case errors.Is(err, queries.ErrNotFound):
		s.hasher.VerifyDummy(password) // gone: as slow as a wrong password
	case err != nil:
		return err
	default:
		ok, _, err = s.hasher.Verify(password, row.PasswordHash)
		if errors.Is(err, ErrBadHash) {
			s.hasher.VerifyDummy(password)
		} else if err != nil {
			return err
		}
	}
	if err := t.end(ctx, a, ok); err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCredentials
	}
	return nil
}
